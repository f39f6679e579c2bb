"""Write a tiny random-weight LTX-2.3 model directory in the official layout: `write_tiny_model(dir, seed)`.

Same key names, shapes, dtypes (bf16) and metadata as Lightricks' reference-tiny fixture, so the real
loading code runs on it. Weights are O(1)-effect (N(0, 1)/sqrt(fan_in), norms near 1) so a wrong key or
timestep mapping shows up as a large output change, not at 1e-6. Signal-processing buffers are real:
kaiser-sinc anti-alias filters, a Slaney mel filterbank and Hann-windowed DFT bases.
Offline, deterministic per seed, a few seconds, about 25 MB.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ltxserve.engine.loading import convert_keys, module_configs
from ltxserve.engine.tiny import gemma as tiny_gemma
from ltxserve.engine.tiny.config import TINY_CONFIG, TINY_UPSAMPLER_CONFIG
from ltxserve.engine.tiny.weights import random_weight

if TYPE_CHECKING:
    import torch

Module = TypeVar("Module", bound="torch.nn.Module")

CHECKPOINT_NAME = "ltx-2.3-tiny.safetensors"
UPSAMPLER_NAME = "ltx-2.3-spatial-upscaler-x2-tiny.safetensors"
DISTILLED_LORA_NAME = "ltx-2.3-tiny-distilled-lora.safetensors"
# The distilled variant: the dev weights with the distilled LoRA fused in at strength 1, as a dev
# worker with the LoRA at full strength runs them (so the two paths can be compared).
DISTILLED_CHECKPOINT_NAME = "ltx-2.3-tiny-distilled.safetensors"
GEMMA_DIR_NAME = "gemma"
MODEL_VERSION = "2.3.0-tiny"
LORA_RANK = 4
LORA_ATTENTIONS = (
    "attn1",
    "attn2",
    "audio_attn1",
    "audio_attn2",
    "audio_to_video_attn",
    "video_to_audio_attn",
)
LORA_PROJECTIONS = ("to_q", "to_k", "to_v", "to_out.0")


def write_tiny_model(
    directory: Path,
    seed: int = 0,
    variant: str = "dev",
    fp8: bool = False,
    config: dict[str, Any] = TINY_CONFIG,
    upsampler_config: dict[str, Any] = TINY_UPSAMPLER_CONFIG,
    fast: bool = False,
) -> Path:
    """Write checkpoint, Gemma folder, ×2 upsampler and distilled LoRA into `directory`; return it.

    `variant="distilled"` writes the distilled checkpoint (dev + LoRA fused, same seed) and no LoRA file.
    `fp8`: the checkpoint in Lightricks' scaled-fp8 layout instead (engine/loading/fp8.py), the same weights
    otherwise (same seed, same random stream). `config`: another architecture in the same layout (the
    full-width check writes the real widths with few layers, tiny_config.full_width_config); `fast`: quick
    uniform draws for such big models (`random_weight`).
    """
    import torch
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(seed)
    checkpoint = checkpoint_tensors(generator, config, fast)
    metadata = {"config": json.dumps(config), "model_version": MODEL_VERSION}
    upsampler = upsampler_tensors(generator, upsampler_config, fast)
    lora = distilled_lora_tensors(checkpoint, generator, config["transformer"]["num_layers"])
    if variant == "distilled":
        checkpoint, name = fuse_lora(checkpoint, lora), DISTILLED_CHECKPOINT_NAME
    else:
        name = CHECKPOINT_NAME
        save_file(lora, str(directory / DISTILLED_LORA_NAME))
    if fp8:
        from ltxserve.engine.loading.fp8 import quantise_checkpoint

        checkpoint, name = quantise_checkpoint(checkpoint), name.replace(".safetensors", "-fp8.safetensors")
    save_file(checkpoint, str(directory / name), metadata=metadata)
    save_file(upsampler, str(directory / UPSAMPLER_NAME), metadata={"config": json.dumps(upsampler_config)})
    tiny_gemma.write_gemma_folder(directory / GEMMA_DIR_NAME, generator)
    return directory


# --- weights ---------------------------------------------------------------------------------


def _diffusers_module(cls: type[Module], kwargs: dict[str, Any]) -> Module:
    """Instantiate with parameters on meta and real buffers (filters are computed at construction)."""
    from accelerate import init_empty_weights

    with init_empty_weights(include_buffers=False):
        return cls(**kwargs)


def _component(
    module: torch.nn.Module,
    to_official: Callable[[str], str],
    generator: torch.Generator,
    fixed: dict[str, torch.Tensor] | None = None,
    fast: bool = False,
) -> dict[str, torch.Tensor]:
    """Official-layout bf16 tensors for every persistent entry of a diffusers module."""
    import torch

    fixed = fixed or {}
    entries = {to_official(key): (key, value) for key, value in module.state_dict().items()}
    tensors = {}
    for official in sorted(entries):  # sorted: the random stream does not depend on module order
        key, value = entries[official]
        if key in fixed:
            tensor = fixed[key]
        elif value.device.type != "meta":  # a computed buffer (anti-alias filter)
            tensor = value
        else:
            tensor = random_weight(official, tuple(value.shape), generator, fast)
        tensors[official] = tensor.to(torch.bfloat16).contiguous()
    return tensors


def _latent_statistics(channels: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Per-channel latent mean and (positive) std, as the VAEs' normalisation buffers."""
    import torch

    mean = torch.randn(channels, generator=generator, dtype=torch.float64) * 0.5
    std = 0.5 + torch.rand(channels, generator=generator)
    return {"latents_mean": mean, "latents_std": std}


def checkpoint_tensors(
    generator: torch.Generator, config: dict[str, Any] = TINY_CONFIG, fast: bool = False
) -> dict[str, torch.Tensor]:
    """Every tensor of the tiny single file, keyed in the official layout."""
    from diffusers.models.autoencoders.autoencoder_kl_ltx2 import AutoencoderKLLTX2Video
    from diffusers.models.autoencoders.autoencoder_kl_ltx2_audio import AutoencoderKLLTX2Audio
    from diffusers.models.transformers.transformer_ltx2 import LTX2VideoTransformer3DModel
    from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2VocoderWithBWE

    plan = convert_keys.vae_block_plan(config["vae"])
    transformer = _diffusers_module(LTX2VideoTransformer3DModel, module_configs.transformer_kwargs(config))
    video_vae = _diffusers_module(AutoencoderKLLTX2Video, module_configs.video_vae_kwargs(config))
    audio_vae = _diffusers_module(AutoencoderKLLTX2Audio, module_configs.audio_vae_kwargs(config))
    vocoder = _diffusers_module(LTX2VocoderWithBWE, module_configs.vocoder_kwargs(config))
    connectors_kwargs = module_configs.connectors_kwargs(
        config,
        tiny_gemma.TINY_TEXT["hidden_size"],
        tiny_gemma.TINY_TEXT["num_hidden_layers"] + 1,
        registers=128,
    )
    connectors = _diffusers_module(LTX2TextConnectors, connectors_kwargs)
    audio_channels = audio_vae.latents_mean.shape[0]  # packed latent channels × mel bins
    tensors: dict[str, torch.Tensor] = {}
    tensors |= _component(transformer, convert_keys.transformer_key_to_official, generator, fast=fast)
    tensors |= _component(
        video_vae,
        lambda k: convert_keys.video_vae_key_to_official(k, plan),
        generator,
        _latent_statistics(config["vae"]["latent_channels"], generator),
        fast,
    )
    tensors |= _component(
        audio_vae,
        convert_keys.audio_vae_key_to_official,
        generator,
        _latent_statistics(audio_channels, generator),
        fast,
    )
    tensors |= _component(
        vocoder, convert_keys.vocoder_key_to_official, generator, _mel_buffers(config), fast
    )
    tensors |= _component(connectors, convert_keys.connector_key_to_official, generator, fast=fast)
    return tensors


def upsampler_tensors(
    generator: torch.Generator, config: dict[str, Any] = TINY_UPSAMPLER_CONFIG, fast: bool = False
) -> dict[str, torch.Tensor]:
    """The ×2 spatial latent upsampler (its keys are the same in diffusers and the reference)."""
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

    module = _diffusers_module(LTX2LatentUpsamplerModel, module_configs.upsampler_kwargs(config))
    return _component(module, lambda key: key, generator, fast=fast)


def distilled_lora_tensors(
    checkpoint: dict[str, torch.Tensor], generator: torch.Generator, blocks: int = 2
) -> dict[str, torch.Tensor]:
    """ComfyUI-style LoRA over every attention projection: `diffusion_model.<module>.lora_A/B.weight`.

    A ~ N(0, 1/in), B ~ N(0, 1/rank): B @ A has the scale of the weight it adapts (an O(1) effect).
    """
    import torch

    tensors = {}
    for block in range(blocks):
        for attention in LORA_ATTENTIONS:
            for projection in LORA_PROJECTIONS:
                module = f"transformer_blocks.{block}.{attention}.{projection}"
                out_features, in_features = checkpoint[f"model.diffusion_model.{module}.weight"].shape
                a = torch.randn(LORA_RANK, in_features, generator=generator, dtype=torch.float64)
                a = a / math.sqrt(in_features)
                b = torch.randn(out_features, LORA_RANK, generator=generator, dtype=torch.float64)
                b = b / math.sqrt(LORA_RANK)
                tensors[f"diffusion_model.{module}.lora_A.weight"] = a.to(torch.bfloat16)
                tensors[f"diffusion_model.{module}.lora_B.weight"] = b.to(torch.bfloat16)
    return tensors


def fuse_lora(checkpoint: dict[str, torch.Tensor], lora: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Checkpoint tensors with `B @ A` (strength 1, no alpha) added to every adapted weight, in bf16."""
    import torch

    fused = dict(checkpoint)
    for key, down in lora.items():
        if not key.endswith(".lora_A.weight"):
            continue
        module = key.removeprefix("diffusion_model.").removesuffix(".lora_A.weight")
        up = lora[key.replace(".lora_A.", ".lora_B.")]
        target = f"model.diffusion_model.{module}.weight"
        fused[target] = (fused[target].float() + up.float() @ down.float()).to(torch.bfloat16).contiguous()
    return fused


# --- signal-processing buffers of the bandwidth-extension vocoder ------------------------------


def _hz_to_mel(hz: torch.Tensor) -> torch.Tensor:
    """Slaney mel scale: linear below 1 kHz, logarithmic above."""
    import torch

    linear = hz * 3.0 / 200.0
    log = 15.0 + torch.log(torch.clamp(hz, min=1e-9) / 1000.0) / (math.log(6.4) / 27.0)
    return torch.where(hz >= 1000.0, log, linear)


def _mel_to_hz(mel: torch.Tensor) -> torch.Tensor:
    """Inverse of `_hz_to_mel`."""
    import torch

    linear = mel * 200.0 / 3.0
    log = 1000.0 * torch.exp((mel - 15.0) * (math.log(6.4) / 27.0))
    return torch.where(mel >= 15.0, log, linear)


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int) -> torch.Tensor:
    """(n_mels, n_fft // 2 + 1) Slaney-normalised triangular filters from 0 Hz to Nyquist."""
    import torch

    freqs = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)
    edges = _mel_to_hz(torch.linspace(0, float(_hz_to_mel(torch.tensor(sample_rate / 2.0))), n_mels + 2))
    edges = edges.double()
    lower = (freqs[None, :] - edges[:-2, None]) / (edges[1:-1, None] - edges[:-2, None])
    upper = (edges[2:, None] - freqs[None, :]) / (edges[2:, None] - edges[1:-1, None])
    filters = torch.clamp(torch.minimum(lower, upper), min=0.0)
    filters *= (2.0 / (edges[2:] - edges[:-2]))[:, None]  # equal area per filter
    return filters.float()


def stft_bases(n_fft: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(2·(n_fft/2+1), 1, n_fft) forward basis (Hann × [cos; −sin]) and its pseudo-inverse basis."""
    import torch

    n_freqs = n_fft // 2 + 1
    window = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)
    t = torch.arange(n_fft, dtype=torch.float64)
    k = torch.arange(n_freqs, dtype=torch.float64)[:, None]
    angle = 2 * math.pi * k * t / n_fft
    fourier = torch.cat([torch.cos(angle), -torch.sin(angle)])  # (2·n_freqs, n_fft)
    forward = fourier * window
    inverse = torch.linalg.pinv(fourier).T * window  # synthesis rows, windowed for overlap-add
    # Entries that are zero in exact arithmetic come out as ±1e-16 rounding noise that differs between
    # LAPACK builds (and bf16 keeps it): make them exactly zero so the written model is the same everywhere.
    forward, inverse = (torch.where(basis.abs() < 1e-12, 0.0, basis) for basis in (forward, inverse))
    return forward[:, None, :].float(), inverse[:, None, :].float()


def _mel_buffers(config: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The BWE stage's mel filterbank and STFT bases, in diffusers key names."""
    bwe = config["vocoder"]["bwe"]
    forward, inverse = stft_bases(bwe["n_fft"])
    return {
        "mel_stft.mel_basis": mel_filterbank(bwe["input_sampling_rate"], bwe["n_fft"], bwe["num_mels"]),
        "mel_stft.stft_fn.forward_basis": forward,
        "mel_stft.stft_fn.inverse_basis": inverse,
    }
