"""Load an LTX-2.3 model directory into diffusers/transformers modules: `load_model(model_dir)`.

Model directory rule (docs/models.md):
- checkpoint: the top-level `*.safetensors` (not named *lora*, *upscaler*, *upsampler*) whose metadata has
  `model_version` and a `config` with a transformer section; with several, the one whose name contains
  "dev"; or an explicit path;
- Gemma: the `gemma*/` sub-folder (or an explicit path);
- spatial ×2 upsampler (optional): a `*upscaler*`/`*upsampler*` file, not temporal, not ×1.5; the last by name;
- distilled LoRA (optional): a `*distilled-lora*` file.

Each module is built from the checkpoint's metadata on the meta device (parameters only), then the
converted tensors are assigned with `load_state_dict(strict=True, assign=True)`: no weight is held twice
and any missing or unexpected key is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ltxserve.engine.loading import checkpoint as ckpt
from ltxserve.engine.loading import convert_keys, module_configs

if TYPE_CHECKING:
    import torch
    from diffusers.models.autoencoders.autoencoder_kl_ltx2 import AutoencoderKLLTX2Video
    from diffusers.models.autoencoders.autoencoder_kl_ltx2_audio import AutoencoderKLLTX2Audio
    from diffusers.models.transformers.transformer_ltx2 import LTX2VideoTransformer3DModel
    from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel
    from diffusers.pipelines.ltx2.vocoder import LTX2VocoderWithBWE
    from transformers import Gemma3ForConditionalGeneration, PreTrainedTokenizerBase

Module = TypeVar("Module", bound="torch.nn.Module")


class TextWidths(Protocol):
    """What the connectors and the facts need from the Gemma text config (`Gemma3TextConfig`)."""

    hidden_size: int
    num_hidden_layers: int


@dataclass(frozen=True)
class ModelFiles:
    """Where each part of a model directory lives."""

    checkpoint: Path
    gemma_dir: Path
    upsampler: Path | None = None
    distilled_lora: Path | None = None


@dataclass(frozen=True)
class ModelFacts:
    """Numbers the engine needs, all derived from the checkpoint metadata and the Gemma config."""

    model_version: str
    num_transformer_blocks: int
    video_latent_channels: int  # 128
    video_temporal_scale: int  # 8: latent frames = (frames - 1) / 8 + 1
    video_spatial_scale: int  # 32
    audio_latent_channels: int  # 8
    audio_latent_mel_bins: int  # 16 (mel bins / audio VAE downsampling)
    audio_mel_bins: int  # 64: the audio VAE's mel input
    audio_sample_rate: int  # 16000: waveform rate of the audio VAE input and the stage-1 vocoder
    audio_hop_length: int  # 160
    audio_latents_per_second: float  # 25
    output_sample_rate: int  # 48000 after bandwidth extension
    text_hidden_size: int  # Gemma hidden width (3840)
    text_num_hidden_states: int  # Gemma layers + 1 (49)


@dataclass(frozen=True)
class LoadedModel:
    """Every module of one LTX-2.3 model, in eval mode, without gradients."""

    transformer: LTX2VideoTransformer3DModel
    video_vae: AutoencoderKLLTX2Video  # latents_mean / latents_std buffers hold the statistics
    audio_vae: AutoencoderKLLTX2Audio  # latents_mean / latents_std over packed channels × mel
    vocoder: LTX2VocoderWithBWE
    connectors: LTX2TextConnectors
    text_encoder: Gemma3ForConditionalGeneration | None  # None when loaded with load_text_encoder=False
    tokenizer: PreTrainedTokenizerBase  # left padding
    upsampler: LTX2LatentUpsamplerModel | None  # None without an upsampler file
    distilled_lora_path: Path | None
    config: dict[str, Any]  # the checkpoint's metadata config (transformer, vae, audio_vae, vocoder)
    facts: ModelFacts
    files: ModelFiles


# --- the model directory ----------------------------------------------------------------------


def _is_side_file(path: Path) -> bool:
    """LoRAs and upsamplers are never the checkpoint, whatever their metadata says."""
    name = path.name.lower()
    return any(part in name for part in ("lora", "upscaler", "upsampler"))


def _find_checkpoint(model_dir: Path) -> Path:
    """The LTX single file of the folder (see the module docstring for the rule)."""
    candidates = [p for p in model_dir.glob("*.safetensors") if not _is_side_file(p)]
    found = sorted(p for p in candidates if ckpt.is_ltx_checkpoint(p))
    if len(found) > 1:
        found = [p for p in found if "dev" in p.name] or found
    if len(found) != 1:
        names = [p.name for p in found] or "none"
        raise FileNotFoundError(
            f"{model_dir}: expected one LTX-2.3 checkpoint (*.safetensors with LTX metadata), found {names}; "
            "pass the checkpoint path explicitly"
        )
    return found[0]


def _find_gemma(model_dir: Path) -> Path:
    """The `gemma*` sub-folder holding the text encoder."""
    found = sorted(p for p in model_dir.iterdir() if p.is_dir() and p.name.lower().startswith("gemma"))
    if not found:
        raise FileNotFoundError(f"{model_dir}: no gemma*/ folder with the Gemma-3 text encoder")
    return found[0]


def _find_upsampler(model_dir: Path) -> Path | None:
    """The spatial ×2 latent upsampler, newest version by name; None when absent."""
    candidates = [
        p
        for p in model_dir.glob("*.safetensors")
        if ("upscaler" in p.name or "upsampler" in p.name)
        and "temporal" not in p.name
        and "x1.5" not in p.name
    ]
    return sorted(candidates)[-1] if candidates else None


def _find_distilled_lora(model_dir: Path) -> Path | None:
    """The distilled LoRA used by two-stage generation; None when absent."""
    candidates = sorted(model_dir.glob("*distilled-lora*.safetensors"))
    return candidates[-1] if candidates else None


def resolve_model_files(
    model_dir: Path | None = None,
    *,
    checkpoint: Path | None = None,
    gemma_dir: Path | None = None,
    upsampler: Path | None = None,
    distilled_lora: Path | None = None,
) -> ModelFiles:
    """Apply the model-directory rule; explicit paths win over what the folder holds."""
    root = Path(model_dir) if model_dir is not None else None
    if root is not None:
        checkpoint = Path(checkpoint) if checkpoint else _find_checkpoint(root)
        gemma_dir = Path(gemma_dir) if gemma_dir else _find_gemma(root)
    if checkpoint is None or gemma_dir is None:
        raise ValueError("give a model directory, or both the checkpoint and the Gemma folder")
    return ModelFiles(
        checkpoint=Path(checkpoint),
        gemma_dir=Path(gemma_dir),
        upsampler=Path(upsampler) if upsampler else (_find_upsampler(root) if root else None),
        distilled_lora=Path(distilled_lora)
        if distilled_lora
        else (_find_distilled_lora(root) if root else None),
    )


# --- building modules -------------------------------------------------------------------------


def build_module(
    cls: type[Module], kwargs: dict[str, Any], state_dict: dict[str, torch.Tensor], device: str | torch.device
) -> Module:
    """Construct `cls(**kwargs)` with parameters on meta, assign `state_dict` strictly, move buffers to `device`.

    Buffers stay real during construction: non-persistent ones (anti-alias resampler, RoPE) are computed there.
    """
    from accelerate import init_empty_weights

    with init_empty_weights(include_buffers=False):
        module = cls(**kwargs)
    module.load_state_dict(state_dict, strict=True, assign=True)
    return module.to(device).eval().requires_grad_(False)


def load_transformer(
    info: ckpt.CheckpointInfo, device: str | torch.device, dtype: torch.dtype
) -> LTX2VideoTransformer3DModel:
    """`LTX2VideoTransformer3DModel` from the `model.diffusion_model.*` keys (connectors excluded)."""
    from diffusers.models.transformers.transformer_ltx2 import LTX2VideoTransformer3DModel

    from ltxserve.engine.loading.fp8 import dequantise

    raw = ckpt.read_tensors(
        info.path, ckpt.TRANSFORMER_PREFIX, exclude=convert_keys.is_connector_key, device=device, dtype=dtype
    )
    # Official fp8 files (LTX-2.3-fp8): weight · weight_scale in the run dtype (engine/loading/fp8.py).
    state_dict = convert_keys.transformer_to_diffusers(dequantise(raw, dtype))
    return build_module(
        LTX2VideoTransformer3DModel, module_configs.transformer_kwargs(info.config), state_dict, device
    )


def load_video_vae(
    info: ckpt.CheckpointInfo, device: str | torch.device, dtype: torch.dtype
) -> AutoencoderKLLTX2Video:
    """`AutoencoderKLLTX2Video` via the generic block-walk key rule."""
    from diffusers.models.autoencoders.autoencoder_kl_ltx2 import AutoencoderKLLTX2Video

    raw = ckpt.read_tensors(info.path, ckpt.VIDEO_VAE_PREFIX, device=device, dtype=dtype)
    plan = convert_keys.vae_block_plan(info.config["vae"])
    state_dict = convert_keys.video_vae_to_diffusers(raw, plan)
    return build_module(
        AutoencoderKLLTX2Video, module_configs.video_vae_kwargs(info.config), state_dict, device
    )


def load_audio_vae(
    info: ckpt.CheckpointInfo, device: str | torch.device, dtype: torch.dtype
) -> AutoencoderKLLTX2Audio:
    """`AutoencoderKLLTX2Audio` with diffusers' converter."""
    from diffusers.models.autoencoders.autoencoder_kl_ltx2_audio import AutoencoderKLLTX2Audio

    raw = ckpt.read_tensors(info.path, ckpt.AUDIO_VAE_PREFIX, device=device, dtype=dtype)
    state_dict = convert_keys.audio_vae_to_diffusers(raw)
    return build_module(
        AutoencoderKLLTX2Audio, module_configs.audio_vae_kwargs(info.config), state_dict, device
    )


def load_vocoder(
    info: ckpt.CheckpointInfo, device: str | torch.device, dtype: torch.dtype
) -> LTX2VocoderWithBWE:
    """`LTX2VocoderWithBWE`; anti-alias filters and mel/STFT bases come from the checkpoint."""
    from diffusers.pipelines.ltx2.vocoder import LTX2VocoderWithBWE

    raw = ckpt.read_tensors(info.path, ckpt.VOCODER_PREFIX, device=device, dtype=dtype)
    state_dict = {convert_keys.vocoder_key_to_diffusers(k): v for k, v in raw.items()}
    return build_module(LTX2VocoderWithBWE, module_configs.vocoder_kwargs(info.config), state_dict, device)


def load_connectors(
    info: ckpt.CheckpointInfo, text_config: TextWidths, device: str | torch.device, dtype: torch.dtype
) -> LTX2TextConnectors:
    """`LTX2TextConnectors`: the per-modality text projections plus the video/audio 1D connectors."""
    from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors

    raw = ckpt.read_tensors(info.path, ckpt.TEXT_PROJECTION_PREFIX, device=device, dtype=dtype)
    for prefix in (ckpt.VIDEO_CONNECTOR_PREFIX, ckpt.AUDIO_CONNECTOR_PREFIX):
        raw |= ckpt.read_tensors(info.path, prefix, device=device, dtype=dtype)
    state_dict = {convert_keys.connector_key_to_diffusers(k): v for k, v in raw.items()}
    registers = state_dict["video_connector.learnable_registers"].shape[0]
    kwargs = module_configs.connectors_kwargs(
        info.config, text_config.hidden_size, text_config.num_hidden_layers + 1, registers
    )
    return build_module(LTX2TextConnectors, kwargs, state_dict, device)


def load_upsampler(path: Path, device: str | torch.device, dtype: torch.dtype) -> LTX2LatentUpsamplerModel:
    """`LTX2LatentUpsamplerModel` from its own file (keys already match diffusers)."""
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

    kwargs = module_configs.upsampler_kwargs(ckpt.read_metadata_config(path))
    state_dict = ckpt.read_tensors(path, device=device, dtype=dtype)
    return build_module(LTX2LatentUpsamplerModel, kwargs, state_dict, device)


def model_facts(info: ckpt.CheckpointInfo, text_config: TextWidths) -> ModelFacts:
    """Derived numbers, from metadata only."""
    config = info.config
    audio = module_configs.audio_settings(config)
    scales, channels = module_configs.latent_scales(config), module_configs.latent_channels(config)
    return ModelFacts(
        model_version=info.model_version,
        num_transformer_blocks=config["transformer"].get("num_layers", 48),
        video_latent_channels=channels.video,
        video_temporal_scale=scales.temporal,
        video_spatial_scale=scales.spatial,
        audio_latent_channels=channels.audio,
        audio_latent_mel_bins=channels.audio_mel_bins,
        audio_mel_bins=audio["mel_bins"],
        audio_sample_rate=audio["sample_rate"],
        audio_hop_length=audio["hop_length"],
        audio_latents_per_second=scales.audio_per_second,
        output_sample_rate=config["vocoder"]["bwe"]["output_sampling_rate"],
        text_hidden_size=text_config.hidden_size,
        text_num_hidden_states=text_config.num_hidden_layers + 1,
    )


def load_model(
    model_dir: Path | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
    *,
    files: ModelFiles | None = None,
    load_text_encoder: bool = True,
) -> LoadedModel:
    """Load every part of an LTX-2.3 model directory (float32 on CPU unless told otherwise)."""
    import torch
    from transformers import Gemma3TextConfig

    from ltxserve.engine.loading import gemma as gemma_loader

    dtype = dtype or torch.float32
    files = files or resolve_model_files(model_dir)
    info = ckpt.read_checkpoint_info(files.checkpoint)
    text_config = gemma_loader.gemma_config(files.gemma_dir).text_config
    if not isinstance(text_config, Gemma3TextConfig):
        raise ValueError(
            f"{files.gemma_dir}: the Gemma-3 config has no text_config of the Gemma-3 text model"
        )
    return LoadedModel(
        transformer=load_transformer(info, device, dtype),
        video_vae=load_video_vae(info, device, dtype),
        audio_vae=load_audio_vae(info, device, dtype),
        vocoder=load_vocoder(info, device, dtype),
        connectors=load_connectors(info, text_config, device, dtype),
        text_encoder=gemma_loader.load_text_encoder(files.gemma_dir, device, dtype)
        if load_text_encoder
        else None,
        tokenizer=gemma_loader.load_tokenizer(files.gemma_dir),
        upsampler=load_upsampler(files.upsampler, device, dtype) if files.upsampler else None,
        distilled_lora_path=files.distilled_lora,
        config=info.config,
        facts=model_facts(info, text_config),
        files=files,
    )
