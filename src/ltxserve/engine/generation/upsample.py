"""Two-stage generation's ×2 latent upsampling (the upsampler works on un-normalised latents)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from ltxserve.engine.generation.vae import normalise_video, un_normalise_video

if TYPE_CHECKING:
    from ltxserve.engine.model import ModelParts


def upsample_video_tokens(parts: ModelParts, latent: torch.Tensor) -> torch.Tensor:
    """Normalised (1, C, F, h, w) → normalised (1, C, F, 2h, 2w)."""
    if parts.upsampler is None:
        raise RuntimeError("two-stage generation needs the spatial upsampler file in the model folder")
    raw = un_normalise_video(parts.video_vae, latent)
    dtype = next(parts.upsampler.parameters()).dtype
    upsampled = parts.upsampler(raw.to(dtype)).float()
    return normalise_video(parts.video_vae, upsampled)
