"""Loading the Gemma-3 text encoder folder and its tokenizer with transformers 5.

A published Gemma folder has `config.json` and `tokenizer.json`. Lightricks' fixtures (and folders
holding only weights) have neither: the reference hard-codes the 12B config, so we start from those
defaults and read every size we can from the tensor shapes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration, PreTrainedTokenizerBase

# Gemma-3-12B values the reference hard-codes (ltx_core/text_encoders/gemma/config.py).
GEMMA3_12B_TEXT = {
    "hidden_size": 3840,
    "intermediate_size": 15360,
    "num_hidden_layers": 48,
    "num_attention_heads": 16,
    "num_key_value_heads": 8,
    "head_dim": 256,
    "query_pre_attn_scalar": 256,
    "vocab_size": 262208,
    "rope_theta": 1000000.0,
    "rope_local_base_freq": 10000.0,
    "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
    "sliding_window": 1024,
    "hidden_activation": "gelu_pytorch_tanh",
    "rms_norm_eps": 1e-6,
    "max_position_embeddings": 131072,
}
GEMMA3_12B_VISION = {
    "hidden_size": 1152,
    "intermediate_size": 4304,
    "num_hidden_layers": 27,
    "num_attention_heads": 16,
    "image_size": 896,
    "patch_size": 14,
    "vision_use_head": False,
}
GEMMA3_12B_TOKENS = {"boi_token_index": 255999, "eoi_token_index": 256000, "image_token_index": 262144}


def weight_files(gemma_dir: Path) -> list[Path]:
    """The folder's safetensors weight files (single file or shards)."""
    files = sorted(p for p in Path(gemma_dir).glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"no *.safetensors weights in the Gemma folder {gemma_dir}")
    return files


def tensor_shapes(gemma_dir: Path) -> dict[str, tuple[int, ...]]:
    """Shapes of every weight in the folder, read from the headers only."""
    from safetensors import safe_open

    shapes: dict[str, tuple[int, ...]] = {}
    for path in weight_files(gemma_dir):
        with safe_open(str(path), framework="pt") as f:
            for key in f.keys():  # noqa: SIM118 (safe_open is not a dict)
                shapes[key] = tuple(f.get_slice(key).get_shape())
    return shapes


def _count_layers(shapes: dict[str, tuple[int, ...]], prefix: str) -> int:
    """Number of distinct `{prefix}{i}.` layer indices."""
    return len({k.removeprefix(prefix).split(".")[0] for k in shapes if k.startswith(prefix)})


def _infer_text_config(shapes: dict[str, tuple[int, ...]]) -> dict[str, Any]:
    """Text tower sizes from the original-layout weights (`language_model.model.*`)."""
    p = "language_model.model."
    vocab_size, hidden = shapes[p + "embed_tokens.weight"]
    head_dim = shapes[p + "layers.0.self_attn.q_norm.weight"][0]
    return {
        **GEMMA3_12B_TEXT,
        "vocab_size": vocab_size,
        "hidden_size": hidden,
        "intermediate_size": shapes[p + "layers.0.mlp.gate_proj.weight"][0],
        "num_hidden_layers": _count_layers(shapes, p + "layers."),
        "head_dim": head_dim,
        "query_pre_attn_scalar": head_dim,
        "num_attention_heads": shapes[p + "layers.0.self_attn.q_proj.weight"][0] // head_dim,
        "num_key_value_heads": shapes[p + "layers.0.self_attn.k_proj.weight"][0] // head_dim,
    }


def _infer_vision_config(shapes: dict[str, tuple[int, ...]]) -> dict[str, Any]:
    """Vision tower sizes; the head count cannot be read from shapes, so keep 16 when it divides."""
    p = "vision_tower.vision_model."
    hidden, _, patch, _ = shapes[p + "embeddings.patch_embedding.weight"]
    positions = shapes[p + "embeddings.position_embedding.weight"][0]
    heads = GEMMA3_12B_VISION["num_attention_heads"] if hidden % 16 == 0 else 1
    return {
        **GEMMA3_12B_VISION,
        "hidden_size": hidden,
        "patch_size": patch,
        "image_size": math.isqrt(positions) * patch,
        "num_hidden_layers": _count_layers(shapes, p + "encoder.layers."),
        "intermediate_size": shapes[p + "encoder.layers.0.mlp.fc1.weight"][0],
        "num_attention_heads": heads,
    }


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def _special_token_ids(gemma_dir: Path) -> dict[str, int]:
    """Ids of Gemma's image and turn tokens from tokenizer_config.json, falling back to the 12B ids."""
    decoder = _read_json(Path(gemma_dir) / "tokenizer_config.json").get("added_tokens_decoder", {})
    by_name = {entry["content"]: int(i) for i, entry in decoder.items()}
    ids = dict(GEMMA3_12B_TOKENS)
    for name, field in (("<start_of_image>", "boi_token_index"), ("<end_of_image>", "eoi_token_index")):
        ids[field] = by_name.get(name, ids[field])
    ids["image_token_index"] = by_name.get("<image_soft_token>", ids["image_token_index"])
    return ids


def gemma_config(gemma_dir: Path) -> Gemma3Config:
    """The folder's `config.json`, or the reference 12B config with sizes inferred from the weights."""
    from transformers import Gemma3Config

    gemma_dir = Path(gemma_dir)
    if (gemma_dir / "config.json").is_file():
        return Gemma3Config.from_pretrained(str(gemma_dir))
    shapes = tensor_shapes(gemma_dir)
    preprocessor = _read_json(gemma_dir / "preprocessor_config.json")
    # As the reference's config.json holds it: `eos_token_id` is no field of transformers' class.
    return Gemma3Config.from_dict(
        {
            "text_config": _infer_text_config(shapes),
            "vision_config": _infer_vision_config(shapes),
            "mm_tokens_per_image": preprocessor.get("image_seq_length", 256),
            "eos_token_id": [1, 106],
            **_special_token_ids(gemma_dir),
        }
    )


def load_text_encoder(
    gemma_dir: Path, device: str | torch.device = "cpu", dtype: torch.dtype | None = None
) -> Gemma3ForConditionalGeneration:
    """Gemma-3 with its vision tower (prompt expansion may use images), eval mode, no grads.

    transformers maps the original `language_model.model.*` / `vision_tower.vision_model.*` keys itself.
    """
    import torch
    from transformers import Gemma3ForConditionalGeneration, GenerationConfig

    config = gemma_config(gemma_dir)
    kwargs: dict[str, Any] = {"config": config, "dtype": dtype or torch.float32}
    if not (Path(gemma_dir) / "generation_config.json").is_file():
        kwargs["generation_config"] = GenerationConfig.from_model_config(config)
    if str(device) != "cpu":
        kwargs["device_map"] = {"": str(device)}
    model = Gemma3ForConditionalGeneration.from_pretrained(str(gemma_dir), **kwargs)
    return model.eval().requires_grad_(False)


def load_tokenizer(gemma_dir: Path) -> PreTrainedTokenizerBase:
    """`tokenizer.json` through AutoTokenizer; else a BPE tokenizer rebuilt from `tokenizer.model`.

    The fallback avoids transformers' sentencepiece conversion, which needs protobuf.
    """
    from transformers import AutoTokenizer

    gemma_dir = Path(gemma_dir)
    tokenizer: PreTrainedTokenizerBase
    if (gemma_dir / "tokenizer.json").is_file():
        tokenizer = AutoTokenizer.from_pretrained(str(gemma_dir), local_files_only=True)
    elif (gemma_dir / "tokenizer.model").is_file():
        tokenizer = tokenizer_from_sentencepiece(gemma_dir / "tokenizer.model")
        template = gemma_dir / "chat_template.jinja"
        if template.is_file():
            tokenizer.chat_template = template.read_text()
    else:
        raise FileNotFoundError(f"no tokenizer.json or tokenizer.model in {gemma_dir}")
    tokenizer.padding_side = "left"  # Gemma and the reference pad on the left
    return tokenizer


def tokenizer_from_sentencepiece(model_file: Path) -> PreTrainedTokenizerBase:
    """A transformers `GemmaTokenizer` with the vocabulary and merges of a sentencepiece BPE model."""
    import sentencepiece as spm
    from tokenizers import AddedToken
    from transformers import GemmaTokenizer
    from transformers.tokenization_utils_base import generate_merges

    processor = spm.SentencePieceProcessor(model_file=str(model_file))
    vocab = {processor.id_to_piece(i): i for i in range(processor.get_piece_size())}
    # Control and user-defined pieces (<bos>, <start_of_turn>, ...) are whole tokens, never merged.
    specials = [
        p for p, i in vocab.items() if processor.is_control(i) or (p.startswith("<") and p.endswith(">"))
    ]
    merges = generate_merges(vocab, skip_tokens=set(specials))
    tokenizer = GemmaTokenizer(vocab=vocab, merges=merges, add_bos_token=True, add_eos_token=False)
    tokenizer.add_special_tokens(
        {"additional_special_tokens": [AddedToken(s, normalized=False, special=True) for s in specials]}
    )
    return tokenizer
