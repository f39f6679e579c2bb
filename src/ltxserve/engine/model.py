"""The loaded model's parts plus the facts the engine derives from its configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import torch

from ltxserve.engine.geometry import LatentChannels, LatentScales

if TYPE_CHECKING:
    from diffusers.models.autoencoders.autoencoder_kl_ltx2 import AutoencoderKLLTX2Video
    from diffusers.models.autoencoders.autoencoder_kl_ltx2_audio import AutoencoderKLLTX2Audio
    from diffusers.models.transformers.transformer_ltx2 import LTX2VideoTransformer3DModel
    from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel
    from diffusers.pipelines.ltx2.vocoder import LTX2VocoderWithBWE
    from transformers import Gemma3ForConditionalGeneration, Gemma3Model, PreTrainedTokenizerBase
    from transformers.image_processing_utils import BaseImageProcessor

    from ltxserve.engine.loading.loader import LoadedModel, ModelFacts

# LTX-2.3's STG block is 28 of 48; smaller (test) models use the block at the same relative depth.
REFERENCE_STG_BLOCK, REFERENCE_BLOCKS = 28, 48
# The reference runs in bf16 and so rounds RoPE positions to bf16; we always do, for the same outputs.
COORDS_DTYPE = torch.bfloat16


@dataclass(frozen=True)
class ModelParts:
    """Everything `Engine` needs from a model folder, with config values already read."""

    transformer: LTX2VideoTransformer3DModel
    video_vae: AutoencoderKLLTX2Video
    audio_vae: AutoencoderKLLTX2Audio
    vocoder: LTX2VocoderWithBWE
    connectors: LTX2TextConnectors
    text_encoder: Gemma3Model  # the base model of `language_model`: hidden states, no LM head
    tokenizer: PreTrainedTokenizerBase
    upsampler: LTX2LatentUpsamplerModel | None
    distilled_lora_path: Path | None
    dtype: torch.dtype
    video_channels: int
    audio_channels: int
    audio_mel_bins: int
    audio_output_rate: int
    mel_config: dict[str, int]
    num_blocks: int
    scales: LatentScales  # the VAEs' compression, from the checkpoint's config
    coords_dtype: torch.dtype = COORDS_DTYPE
    # The full Gemma-3 (LM head and vision tower) and its image preprocessor, for prompt expansion.
    language_model: Gemma3ForConditionalGeneration | None = None
    image_processor: BaseImageProcessor | None = None
    # The checkpoint is the published distilled one (its name says so): 22b/distilled runs it as it is.
    distilled: bool = False
    # Where the computation runs when the transformer's own weights may sit on the host (offloading).
    compute_device: torch.device | None = None

    @property
    def device(self) -> torch.device:
        if self.compute_device is not None:
            return self.compute_device
        return next(self.transformer.parameters()).device

    @property
    def channels(self) -> LatentChannels:
        return LatentChannels(self.video_channels, self.audio_channels, self.audio_mel_bins)

    @property
    def default_stg_blocks(self) -> tuple[int, ...]:
        return (min(self.num_blocks - 1, round(REFERENCE_STG_BLOCK * self.num_blocks / REFERENCE_BLOCKS)),)

    @classmethod
    def load(cls, model_dir: Path, device: str = "cpu", dtype: torch.dtype = torch.float32) -> ModelParts:
        from ltxserve.engine.loading.loader import load_model

        loaded = load_model(model_dir, device=device, dtype=dtype)
        return cls.from_loaded(loaded, dtype)

    @classmethod
    def from_loaded(cls, loaded: LoadedModel, dtype: torch.dtype) -> ModelParts:
        facts = loaded.facts
        if loaded.text_encoder is None:
            raise ValueError("the engine needs the text encoder: load the model with load_text_encoder=True")
        for module in (
            loaded.transformer,
            loaded.video_vae,
            loaded.audio_vae,
            loaded.vocoder,
            loaded.connectors,
        ):
            module.eval()
        return cls(
            transformer=loaded.transformer,
            video_vae=loaded.video_vae,
            audio_vae=loaded.audio_vae,
            vocoder=loaded.vocoder,
            connectors=loaded.connectors,
            # The base Gemma model: its hidden states are all we need, not the LM head's logits.
            text_encoder=loaded.text_encoder.model.eval(),
            tokenizer=loaded.tokenizer,
            upsampler=loaded.upsampler.eval() if loaded.upsampler is not None else None,
            distilled_lora_path=loaded.distilled_lora_path,
            dtype=dtype,
            **checkpoint_facts(facts, loaded.config),
            language_model=loaded.text_encoder,
            image_processor=_image_processor(loaded.files.gemma_dir),
            distilled="distilled" in loaded.files.checkpoint.name.lower(),
        )


class CheckpointFacts(TypedDict):
    """The `ModelParts` fields that come from the checkpoint's config."""

    video_channels: int
    audio_channels: int
    audio_mel_bins: int
    audio_output_rate: int
    mel_config: dict[str, int]
    num_blocks: int
    scales: LatentScales


def checkpoint_facts(facts: ModelFacts, config: dict[str, Any]) -> CheckpointFacts:
    """The `ModelParts` fields the checkpoint's config states (latent channels, mel set-up, block count,
    VAE compression), from the loader's `model_facts` and the raw config."""
    stft = config["audio_vae"].get("preprocessing", {}).get("stft", {})
    return {
        "video_channels": facts.video_latent_channels,
        "audio_channels": facts.audio_latent_channels,
        "audio_mel_bins": facts.audio_latent_mel_bins,
        "audio_output_rate": facts.output_sample_rate,
        "mel_config": {
            "sample_rate": facts.audio_sample_rate,
            "n_fft": int(stft.get("filter_length", 1024)),
            "hop": facts.audio_hop_length,
            "n_mels": facts.audio_mel_bins,
        },
        "num_blocks": facts.num_transformer_blocks,
        "scales": LatentScales(
            temporal=facts.video_temporal_scale,
            spatial=facts.video_spatial_scale,
            audio_per_second=facts.audio_latents_per_second,
        ),
    }


def _image_processor(gemma_dir: Path) -> BaseImageProcessor | None:
    """Gemma's image preprocessor when the folder has one (expansion then looks at the first frame)."""
    if not (gemma_dir / "preprocessor_config.json").is_file():
        return None
    from transformers import AutoImageProcessor
    from transformers.image_processing_utils import BaseImageProcessor

    processor = AutoImageProcessor.from_pretrained(str(gemma_dir), local_files_only=True)
    if not isinstance(processor, BaseImageProcessor):
        raise TypeError(
            f"{gemma_dir}: preprocessor_config.json names {type(processor).__name__}, not an image processor"
        )
    return processor
