"""The tiny Gemma-3 folder of the tiny model: config, locally trained tokenizer, random weights.

Weights use the original Gemma-3 multimodal key layout (`language_model.model.*`, `vision_tower.*`,
`multi_modal_projector.*`) like the reference fixture; the tokenizer is a sentencepiece BPE model trained
here on a built-in text, with Gemma's special tokens at Gemma's ids.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

from ltxserve.engine.loading import convert_keys
from ltxserve.engine.tiny.weights import random_weight

if TYPE_CHECKING:
    import torch
    from transformers import Gemma3Config

TINY_TEXT = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "head_dim": 16,
    "query_pre_attn_scalar": 16,
    "vocab_size": 320,
    "sliding_window": 64,
}
TINY_VISION = {
    "hidden_size": 16,
    "intermediate_size": 32,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "image_size": 28,
    "patch_size": 14,
    "vision_use_head": False,
}
SENTENCEPIECE_VOCAB = 312  # the embedding table keeps 320 rows, like the fixture
# Gemma's ids: <pad>=0 <eos>=1 <bos>=2 <unk>=3, then the turn and image markers.
USER_SYMBOLS = (
    "<start_of_turn>",
    "<end_of_turn>",
    "<start_of_image>",
    "<end_of_image>",
    "<image_soft_token>",
)
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ m['role'] }}\n"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<start_of_image>{% else %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}"
    "<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
PREPROCESSOR_CONFIG = {
    "image_processor_type": "Gemma3ImageProcessor",
    "processor_class": "Gemma3Processor",
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": [0.5, 0.5, 0.5],
    "image_std": [0.5, 0.5, 0.5],
    "image_seq_length": 1,
    "resample": 2,
    "rescale_factor": 1 / 255,
    "size": {"height": 28, "width": 28},
}
TRAINING_TEXT = """\
A golden retriever runs along a quiet beach at sunset while waves roll onto the sand.
The camera slowly pans across a busy city street where people walk under bright neon signs.
A woman in a red coat opens an old wooden door and steps into a warm kitchen full of light.
Rain falls on the window of a small cafe; inside, a man reads a newspaper and drinks coffee.
Two children laugh as they fly a blue kite over a green hill on a windy afternoon.
A chef slices fresh vegetables on a wooden board, the knife moving quickly and precisely.
Snow covers the mountains while a red train crosses a stone bridge above the frozen river.
A musician plays an acoustic guitar on a small stage, soft spotlights glowing behind him.
The ocean is calm and blue; a sailboat drifts past a white lighthouse on the rocky coast.
An astronaut floats inside the space station, looking at the earth through a round window.
A cat sleeps on a sunny windowsill as leaves fall from the tree outside in the autumn wind.
Thunder rumbles over the desert and lightning flashes across the dark purple evening sky.
A close up shot of hands shaping clay on a spinning wheel, water dripping from the fingers.
The crowd cheers as the runner crosses the finish line, arms raised, breathing hard.
Soft piano music plays while the camera moves through an empty museum hall at night.
"""


def train_sentencepiece() -> bytes:
    """A small BPE sentencepiece model; deterministic (single thread, fixed input)."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(TRAINING_TEXT.splitlines() * 4),
        model_writer=model,
        model_type="bpe",
        vocab_size=SENTENCEPIECE_VOCAB,
        pad_id=0,
        eos_id=1,
        bos_id=2,
        unk_id=3,
        pad_piece="<pad>",
        eos_piece="<eos>",
        bos_piece="<bos>",
        unk_piece="<unk>",
        user_defined_symbols=list(USER_SYMBOLS),
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def gemma_config() -> Gemma3Config:
    """The tiny `Gemma3Config` (image token ids follow the tokenizer's ids)."""
    from transformers import Gemma3Config

    # As a config.json would hold it: `eos_token_id` is no field of transformers' class, only of the file.
    return Gemma3Config.from_dict(
        {
            "text_config": TINY_TEXT,
            "vision_config": TINY_VISION,
            "mm_tokens_per_image": 1,
            "boi_token_index": 6,
            "eoi_token_index": 7,
            "image_token_index": 8,
            "eos_token_id": [1, 5],
        }
    )


def gemma_tensors(config: Gemma3Config, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Random bf16 weights in the original Gemma-3 key layout (the lm_head is tied, so not stored)."""
    from accelerate import init_empty_weights
    from transformers import Gemma3ForConditionalGeneration

    with init_empty_weights():
        model = Gemma3ForConditionalGeneration(config)
    import torch

    shapes = {}
    for key, value in model.state_dict().items():
        original = convert_keys.gemma_key_to_original(key)
        if original is not None:
            shapes[original] = tuple(value.shape)
    return {k: random_weight(k, shapes[k], generator).to(torch.bfloat16) for k in sorted(shapes)}


def write_tokenizer(directory: Path) -> None:
    """tokenizer.model plus tokenizer.json and the transformers side files."""
    from ltxserve.engine.loading.gemma import tokenizer_from_sentencepiece

    (directory / "tokenizer.model").write_bytes(train_sentencepiece())
    tokenizer = tokenizer_from_sentencepiece(directory / "tokenizer.model")
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.padding_side = "left"
    tokenizer.save_pretrained(str(directory))
    special = {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>"}
    (directory / "special_tokens_map.json").write_text(json.dumps(special, indent=2))
    (directory / "chat_template.jinja").write_text(CHAT_TEMPLATE)


def write_gemma_folder(directory: Path, generator: torch.Generator) -> Path:
    """config.json, tokenizer files, preprocessor config and model.safetensors."""
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    config = gemma_config()
    config.to_json_file(str(directory / "config.json"))
    write_tokenizer(directory)
    (directory / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR_CONFIG, indent=2))
    save_file(gemma_tensors(config, generator), str(directory / "model.safetensors"))
    return directory
