"""A random-weight LTX-2.3 built directly on a device through the project's module configs (gpu_check.py).

No real weights exist offline, so each part is constructed from an official-layout metadata config with
`engine/loading/module_configs.py` (the loader's own mapping), its parameters initialised on the device itself and
cast to the compute dtype: no file is written or read, and a 22B transformer appears in seconds. Text
contexts are random tensors of the real shape put in the engine's prompt cache, so the step sections need
no Gemma; Gemma-3 12B's size is counted on the meta device.
"""

from __future__ import annotations

import copy
import time
from types import SimpleNamespace

import torch

from ltxserve.engine.generation.pipeline import Engine
from ltxserve.engine.generation.tuning import Tuning
from ltxserve.engine.loading import module_configs
from ltxserve.engine.loading.loader import model_facts
from ltxserve.engine.loading.preset import PRESETS
from ltxserve.engine.model import ModelParts, checkpoint_facts
from ltxserve.engine.text.encode import TextContext
from ltxserve.engine.tiny.config import TINY_CONFIG, TINY_UPSAMPLER_CONFIG
from ltxserve.engine.tiny.gemma import TINY_TEXT

TEXT_TOKENS = 1024  # prompts are padded to 1024 Gemma tokens


def full_config() -> tuple[dict, dict, dict, str]:
    """(metadata config, upsampler config, Gemma text config, source) of the full-size model: the memory
    work's preset (`engine/loading/preset.py`, the published files' metadata)."""
    config, upsampler, gemma = PRESETS["ltx-2.3-22b"]
    return copy.deepcopy(config), dict(upsampler), dict(gemma["text_config"]), "preset ltx-2.3-22b"


def tiny_config() -> tuple[dict, dict, dict, str]:
    return copy.deepcopy(TINY_CONFIG), dict(TINY_UPSAMPLER_CONFIG), dict(TINY_TEXT), "tiny"


def _built(cls, kwargs: dict, device: torch.device, dtype: torch.dtype):
    with torch.device(device):
        module = cls(**kwargs)
    return module.to(dtype).eval().requires_grad_(False)


def build_parts(config: dict, upsampler: dict, text: dict, device: torch.device, dtype: torch.dtype):
    """ModelParts with random weights made on `device`; returns (parts, {part: (bytes, seconds)})."""
    from diffusers import AutoencoderKLLTX2Audio, AutoencoderKLLTX2Video, LTX2VideoTransformer3DModel
    from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel
    from diffusers.pipelines.ltx2.vocoder import LTX2VocoderWithBWE

    text_config = SimpleNamespace(**text)
    specs = {
        "transformer": (LTX2VideoTransformer3DModel, module_configs.transformer_kwargs(config)),
        "connectors": (
            LTX2TextConnectors,
            module_configs.connectors_kwargs(
                config, text_config.hidden_size, text_config.num_hidden_layers + 1, 128
            ),
        ),
        "video_vae": (AutoencoderKLLTX2Video, module_configs.video_vae_kwargs(config)),
        "audio_vae": (AutoencoderKLLTX2Audio, module_configs.audio_vae_kwargs(config)),
        "vocoder": (LTX2VocoderWithBWE, module_configs.vocoder_kwargs(config)),
        "upsampler": (LTX2LatentUpsamplerModel, module_configs.upsampler_kwargs(upsampler)),
    }
    modules, sizes = {}, {}
    for name, (cls, kwargs) in specs.items():
        start = time.perf_counter()
        modules[name] = _built(cls, kwargs, device, dtype)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        nbytes = sum(p.nbytes for p in modules[name].parameters())
        sizes[name] = (nbytes, time.perf_counter() - start)
    info = SimpleNamespace(config=config, model_version="2.3-random")
    facts = model_facts(info, text_config)
    parts = ModelParts(
        transformer=modules["transformer"],
        video_vae=modules["video_vae"],
        audio_vae=modules["audio_vae"],
        vocoder=modules["vocoder"],
        connectors=modules["connectors"],
        text_encoder=None,
        tokenizer=None,
        upsampler=modules["upsampler"],
        distilled_lora_path=None,
        dtype=dtype,
        **checkpoint_facts(facts, config),
    )
    return parts, sizes


def gemma_bytes(text: dict, dtype: torch.dtype) -> int:
    """Parameter bytes of the Gemma-3 text model with `text` config, counted on the meta device."""
    from transformers import Gemma3TextConfig, Gemma3TextModel

    with torch.device("meta"):
        model = Gemma3TextModel(Gemma3TextConfig(**text))
    return sum(p.numel() for p in model.parameters()) * torch.finfo(dtype).bits // 8


def engine_for(parts: ModelParts, prompts: tuple[str, ...], attention: str = "auto") -> Engine:
    """An Engine on `parts` whose prompt cache already holds random contexts for `prompts`."""
    engine = Engine(parts, Tuning(attention=attention))
    transformer = parts.transformer
    video_width = transformer.config.num_attention_heads * transformer.config.attention_head_dim
    audio_width = transformer.config.audio_num_attention_heads * transformer.config.audio_attention_head_dim
    device = parts.device
    tokens = TEXT_TOKENS if video_width >= 1024 else 32
    for prompt in prompts:
        engine._prompts[(prompt, ())] = TextContext(
            video=torch.randn(1, tokens, video_width, device=device, dtype=parts.dtype),
            audio=torch.randn(1, tokens, audio_width, device=device, dtype=parts.dtype),
            mask=torch.ones(1, tokens, device=device),
        )
    return engine


def random_lora(transformer, rank: int, pin: bool):
    """A LoRA over every linear layer of the blocks (the distilled LoRA's coverage), factors on the host."""
    from ltxserve.engine.adapters.lora import LoraWeights

    layers = {}
    for path, module in transformer.named_modules():
        if isinstance(module, torch.nn.Linear) and path.startswith("transformer_blocks."):
            down = torch.randn(rank, module.in_features, dtype=torch.bfloat16) / module.in_features**0.5
            up = torch.randn(module.out_features, rank, dtype=torch.bfloat16) / rank**0.5 * 0.01
            if pin:
                down, up = down.pin_memory(), up.pin_memory()
            layers[("transformer", path)] = (down, up)
    return LoraWeights(f"random-rank-{rank}", layers)
