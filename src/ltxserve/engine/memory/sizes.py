"""Parameter counts of a model's parts (`PartSizes`) from metadata configs only: a preset, or a model folder's
checkpoint header, Gemma config and side files. The modules are built on PyTorch's meta device (no weights)."""

from __future__ import annotations

import json
import struct
from dataclasses import replace
from functools import lru_cache
from math import prod
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ltxserve.engine.geometry import LatentChannels, LatentScales
from ltxserve.engine.memory.peaks import PartSizes

if TYPE_CHECKING:
    import torch
    from diffusers.models.autoencoders.autoencoder_kl_ltx2 import AutoencoderKLLTX2Video
    from diffusers.models.autoencoders.autoencoder_kl_ltx2_audio import AutoencoderKLLTX2Audio
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel
    from diffusers.pipelines.ltx2.vocoder import LTX2VocoderWithBWE

# The published distilled LoRA is rank 384 over every linear layer of the transformer blocks.
DISTILLED_LORA_RANK = 384


def part_sizes(
    config: dict[str, Any], upsampler_config: dict[str, Any] | None, gemma_config: dict[str, Any]
) -> PartSizes:
    """Parameter counts from the metadata configs; the modules are built on the meta device (cached).

    `gemma_config` is the text encoder's `Gemma3Config` as a dict (`text_config`, `vision_config`, ...).
    """
    key = json.dumps([config, upsampler_config, gemma_config], sort_keys=True, default=str)
    return _part_sizes(key)


@lru_cache(maxsize=8)
def _part_sizes(key: str) -> PartSizes:
    import torch
    from diffusers.models.autoencoders.autoencoder_kl_ltx2 import AutoencoderKLLTX2Video
    from diffusers.models.autoencoders.autoencoder_kl_ltx2_audio import AutoencoderKLLTX2Audio
    from diffusers.models.transformers.transformer_ltx2 import LTX2VideoTransformer3DModel
    from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel
    from diffusers.pipelines.ltx2.vocoder import LTX2VocoderWithBWE
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration

    from ltxserve.engine.loading import module_configs as mc

    config, upsampler_config, gemma = json.loads(key)
    text = gemma["text_config"]
    layers = text["num_hidden_layers"]
    with torch.device("meta"):
        text_encoder = Gemma3ForConditionalGeneration(Gemma3Config(**gemma))
        transformer = LTX2VideoTransformer3DModel(**mc.transformer_kwargs(config))
        connectors = LTX2TextConnectors(
            **mc.connectors_kwargs(config, text["hidden_size"], layers + 1, registers=128)
        )
        video_vae = AutoencoderKLLTX2Video(**mc.video_vae_kwargs(config))
        audio_vae = AutoencoderKLLTX2Audio(**mc.audio_vae_kwargs(config))
        vocoder = LTX2VocoderWithBWE(**mc.vocoder_kwargs(config))
        upsampler = (
            LTX2LatentUpsamplerModel(**mc.upsampler_kwargs(upsampler_config)) if upsampler_config else None
        )
    scales, channels = mc.latent_scales(config), mc.latent_channels(config)
    traced = traced_activations(video_vae, audio_vae, vocoder, upsampler, channels, scales)
    block = transformer.transformer_blocks[0]
    linears = [m for m in block.modules() if isinstance(m, torch.nn.Linear)]
    t = config["transformer"]
    return PartSizes(
        transformer=_count(transformer),
        transformer_block=_count(block),
        num_blocks=len(transformer.transformer_blocks),
        largest_linear=max(m.weight.numel() for m in transformer.modules() if isinstance(m, torch.nn.Linear)),
        connectors=_count(connectors),
        video_vae=_count(video_vae),
        audio_vae=_count(audio_vae),
        vocoder=_count(vocoder),
        upsampler=_count(upsampler) if upsampler is not None else 0,
        text_encoder=_count(text_encoder),
        video_width=t.get("num_attention_heads", 32) * t.get("attention_head_dim", 128),
        audio_width=t.get("audio_num_attention_heads", 32) * t.get("audio_attention_head_dim", 64),
        video_channels=channels.video,
        audio_channels=channels.audio,
        audio_mel_bins=channels.audio_mel_bins,
        video_temporal_scale=scales.temporal,
        video_spatial_scale=scales.spatial,
        audio_latents_per_second=scales.audio_per_second,
        text_hidden=text["hidden_size"],
        text_layers=layers,
        text_intermediate=text["intermediate_size"],
        text_kv_width=text["num_key_value_heads"] * text["head_dim"],
        video_decode_per_pixel=traced["video"],
        upsample_per_voxel=traced["upsample"],
        audio_decode_per_second=traced["audio"],
        adapted_params_per_rank=len(transformer.transformer_blocks)
        * sum(m.in_features + m.out_features for m in linears),
    )


# Shapes the decoders are traced at: a 16-frame latent of 22×40 (the 16:9 aspect), 50 audio latent frames
# (two seconds for LTX-2.3).
TRACE_VIDEO_LATENT = (16, 22, 40)
TRACE_AUDIO_FRAMES = 50


def traced_activations(
    video_vae: AutoencoderKLLTX2Video,
    audio_vae: AutoencoderKLLTX2Audio,
    vocoder: LTX2VocoderWithBWE,
    upsampler: LTX2LatentUpsamplerModel | None,
    channels: LatentChannels,
    scales: LatentScales,
) -> dict[str, float]:
    """Activation elements per unit of each decoder, from a forward on meta tensors (engine.memory.probe)."""
    import torch

    from ltxserve.engine.memory.probe import traced_peak_bytes

    with torch.inference_mode():
        latent = torch.empty(1, channels.video, *TRACE_VIDEO_LATENT, device="meta")
        frames, peak = traced_peak_bytes(lambda: video_vae.decoder(latent))
        video = peak / 4 / (frames.shape[2] * frames.shape[3] * frames.shape[4])
        up = 0.0
        if upsampler is not None:
            _, peak = traced_peak_bytes(lambda: upsampler(latent))
            up = peak / 4 / (latent.shape[2] * latent.shape[3] * latent.shape[4])
        audio_shape = (channels.audio, TRACE_AUDIO_FRAMES, channels.audio_mel_bins)
        audio_latent = torch.empty(1, *audio_shape, device="meta")
        _, peak = traced_peak_bytes(lambda: vocoder(audio_vae.decode(audio_latent).sample))
    seconds = TRACE_AUDIO_FRAMES / scales.audio_per_second
    return {"video": video, "upsample": up, "audio": peak / 4 / seconds}


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def preset_sizes(name: str) -> PartSizes:
    """Sizes of a built-in preset (`ltx-2.3-22b`)."""
    from ltxserve.engine.loading.preset import PRESETS

    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    config, upsampler, gemma = PRESETS[name]
    sizes = part_sizes(config, upsampler, gemma)
    return replace(sizes, distilled_lora=DISTILLED_LORA_RANK * sizes.adapted_params_per_rank)


def model_dir_sizes(model_dir: Path) -> PartSizes:
    """Sizes of a model folder, from its checkpoint's metadata config and its Gemma config."""
    from ltxserve.engine.loading import checkpoint as ckpt
    from ltxserve.engine.loading.gemma import gemma_config
    from ltxserve.engine.loading.loader import resolve_model_files

    files = resolve_model_files(Path(model_dir))
    config = ckpt.read_checkpoint_info(files.checkpoint).config
    upsampler = ckpt.read_metadata_config(files.upsampler) if files.upsampler else None
    sizes = part_sizes(config, upsampler, gemma_config(files.gemma_dir).to_dict())
    lora = safetensors_params(files.distilled_lora) if files.distilled_lora else 0
    return replace(sizes, distilled_lora=lora)


def safetensors_params(path: Path) -> int:
    """Elements of every tensor in a safetensors file, from its header alone (no torch)."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    return sum(prod(entry["shape"]) for key, entry in header.items() if key != "__metadata__")
