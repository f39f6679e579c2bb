"""Latent tokens: packing, positions (RoPE coordinates) and per-token state for both modalities."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import torch

from ltxserve.engine.geometry import AudioShape, VideoShape

if TYPE_CHECKING:
    from diffusers.models.transformers.transformer_ltx2 import LTX2VideoTransformer3DModel


def pack_video(latent: torch.Tensor) -> torch.Tensor:
    """(B, C, F, H, W) → (B, F·H·W, C)."""
    return latent.flatten(2).transpose(1, 2)


def unpack_video(tokens: torch.Tensor, shape: VideoShape) -> torch.Tensor:
    """(B, F·H·W, C) → (B, C, F, H, W)."""
    batch = tokens.shape[0]
    return tokens.transpose(1, 2).reshape(batch, shape.channels, shape.frames, shape.height, shape.width)


def pack_audio(latent: torch.Tensor) -> torch.Tensor:
    """(B, C, T, M) → (B, T, C·M)."""
    return latent.transpose(1, 2).flatten(2)


def unpack_audio(tokens: torch.Tensor, shape: AudioShape) -> torch.Tensor:
    """(B, T, C·M) → (B, C, T, M)."""
    batch = tokens.shape[0]
    return tokens.reshape(batch, shape.frames, shape.channels, shape.mel_bins).transpose(1, 2)


@dataclass(frozen=True)
class TokenState:
    """One modality's tokens during denoising.

    latent (B, T, C): the current noisy sample; clean (B, T, C): conditioning latents where known;
    mask (B, T, 1): 1 = generate, 0 = keep `clean`, in between = partial strength;
    coords: RoPE positions in the transformer's layout; `generated` counts the leading tokens that form
    the output (appended keyframe tokens come after them and are dropped at the end).
    """

    latent: torch.Tensor
    clean: torch.Tensor
    mask: torch.Tensor
    coords: torch.Tensor
    generated: int

    def with_latent(self, latent: torch.Tensor) -> TokenState:
        return replace(self, latent=latent)

    def to(self, device: torch.device) -> TokenState:
        """All tensors on the model's device (they are built on the CPU, where the seeded noise comes from)."""
        move = {name: getattr(self, name).to(device) for name in ("latent", "clean", "mask", "coords")}
        return replace(self, **move)

    def output_tokens(self) -> torch.Tensor:
        return self.latent[:, : self.generated]


def video_coords(
    transformer: LTX2VideoTransformer3DModel, shape: VideoShape, fps: float, dtype: torch.dtype
) -> torch.Tensor:
    """Pixel-space RoPE bounds (1, 3, T, 2), rounded through `dtype` as the reference's bf16 runs do."""
    coords = transformer.rope.prepare_video_coords(
        1, shape.frames, shape.height, shape.width, torch.device("cpu"), fps=fps
    )
    return coords.to(dtype).float()


def keyframe_coords(
    transformer: LTX2VideoTransformer3DModel,
    shape: VideoShape,
    frame_index: int,
    fps: float,
    dtype: torch.dtype,
    temporal: int,
) -> torch.Tensor:
    """Positions of a one-latent-frame keyframe placed at pixel frame `frame_index` (no causal shift);
    it spans `temporal` pixel frames (the VAE's temporal compression)."""
    single = VideoShape(shape.channels, 1, shape.height, shape.width)
    coords = transformer.rope.prepare_video_coords(
        1, 1, single.height, single.width, torch.device("cpu"), fps=1.0
    )
    coords = coords.clone()
    coords[:, 0, :, 0] = frame_index / fps
    coords[:, 0, :, 1] = (frame_index + temporal) / fps
    return coords.to(dtype).float()


def audio_coords(
    transformer: LTX2VideoTransformer3DModel, shape: AudioShape, dtype: torch.dtype
) -> torch.Tensor:
    """Time bounds in seconds (1, 1, T, 2) for the audio latent frames."""
    coords = transformer.audio_rope.prepare_audio_coords(1, shape.frames, torch.device("cpu"))
    return coords.to(dtype).float()
