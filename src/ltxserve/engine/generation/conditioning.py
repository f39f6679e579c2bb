"""Initial token states: noise plus what the request conditions on (first image, end image, audio)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from ltxserve.engine.generation import tokens as lat
from ltxserve.engine.generation.context import write_audio_context, write_video_context
from ltxserve.engine.generation.sampling import noise_latent
from ltxserve.engine.generation.tokens import TokenState
from ltxserve.engine.generation.vae import encode_audio, encode_video, image_tensor
from ltxserve.engine.geometry import LatentGeometry, VideoGrid, VideoShape
from ltxserve.engine.request import AudioInput, ImageInput, VideoContext

if TYPE_CHECKING:
    from ltxserve.engine.model import ModelParts


def video_tokens(
    model: ModelParts,
    geometry: LatentGeometry,
    grid: VideoGrid,
    first_image: ImageInput | None,
    end_image: ImageInput | None,
    generator: torch.Generator,
    sigma: float = 1.0,
    start: torch.Tensor | None = None,
    context: VideoContext | None = None,
) -> TokenState:
    """Video tokens noised to `sigma` (from `start` latent tokens if given, else from zeros).

    The first image replaces latent frame 0; the end image is appended as a keyframe with its own
    positions at the last pixel frame (the reference's VideoConditionByKeyframeIndex); their tokens get
    denoise mask 1 − strength. A request without pixels gets the stand-in stream (`stand_in_tokens`).
    """
    if not geometry.has_video:
        return stand_in_tokens(model, grid.shape, geometry.fps)
    shape = grid.shape
    tokens = shape.tokens
    # Built on the CPU (where the seeded noise is drawn, so results match across devices), then moved.
    clean = torch.zeros(1, tokens, shape.channels) if start is None else start.float().cpu().clone()
    mask = torch.ones(1, tokens, 1)
    coords = lat.video_coords(model.transformer, shape, geometry.fps, model.coords_dtype)
    per_frame = shape.height * shape.width

    if context is not None:
        write_video_context(model, geometry, grid, clean, mask, context)
    if first_image is not None:
        image_tokens = _image_tokens(model, first_image.pixels, grid)
        clean[:, :per_frame] = image_tokens
        mask[:, :per_frame] = 1.0 - first_image.strength
    if end_image is not None:
        image_tokens = _image_tokens(model, end_image.pixels, grid)
        clean = torch.cat([clean, image_tokens], dim=1)
        mask = torch.cat([mask, torch.full((1, per_frame, 1), 1.0 - end_image.strength)], dim=1)
        last = geometry.num_frames - 1
        key_coords = lat.keyframe_coords(
            model.transformer, shape, last, geometry.fps, model.coords_dtype, geometry.scales.temporal
        )
        coords = torch.cat([coords, key_coords], dim=2)

    noise = torch.randn(clean.shape, generator=generator, dtype=torch.float32)
    latent = noise_latent(clean, noise, mask, sigma)
    state = TokenState(latent=latent, clean=clean, mask=mask, coords=coords, generated=tokens)
    return state.to(model.device)


def stand_in_tokens(model: ModelParts, shape: VideoShape, fps: float) -> TokenState:
    """The one-token, frozen video stream of a request without pixels (its cross-modal attention is off,
    so it never reaches the audio: `Conditioning.isolated`)."""
    zeros = torch.zeros(1, 1, shape.channels)
    coords = lat.video_coords(model.transformer, shape, fps, model.coords_dtype)
    state = TokenState(latent=zeros, clean=zeros, mask=torch.zeros(1, 1, 1), coords=coords, generated=1)
    return state.to(model.device)


def audio_tokens(
    model: ModelParts,
    geometry: LatentGeometry,
    audio: AudioInput | None,
    generator: torch.Generator,
    context: VideoContext | None = None,
) -> TokenState:
    """Audio tokens: noise, or the encoded input audio with mask 1 − strength (strength 1 freezes it)."""
    shape = geometry.audio
    if audio is None:
        clean = torch.zeros(1, shape.frames, shape.channels * shape.mel_bins)
        mask = torch.ones(1, shape.frames, 1)
    else:
        seconds = geometry.seconds
        latent = encode_audio(model.audio_vae, audio.waveform, audio.sample_rate, seconds, model.mel_config)
        clean = _fit_frames(lat.pack_audio(latent), shape.frames)
        mask = torch.full((1, shape.frames, 1), 1.0 - audio.strength)
    if context is not None:
        write_audio_context(model, geometry, clean, mask, context)
    coords = lat.audio_coords(model.transformer, shape, model.coords_dtype)
    clean = clean.cpu()
    noise = torch.randn(clean.shape, generator=generator, dtype=torch.float32)
    latent = noise_latent(clean, noise, mask, 1.0)
    state = TokenState(latent=latent, clean=clean, mask=mask, coords=coords, generated=shape.frames)
    return state.to(model.device)


def renoise_tokens(state: TokenState, sigma: float, generator: torch.Generator) -> TokenState:
    """Re-noise a finished state's tokens to `sigma` for a refine stage (masked tokens stay clean)."""
    noise = torch.randn(state.latent.shape, generator=generator, dtype=torch.float32).to(state.latent.device)
    clean = state.clean * (1.0 - state.mask) + state.latent * state.mask
    return TokenState(
        latent=noise_latent(clean, noise, state.mask, sigma),
        clean=clean,
        mask=state.mask,
        coords=state.coords,
        generated=state.generated,
    )


def _image_tokens(model: ModelParts, pixels: np.ndarray, grid: VideoGrid) -> torch.Tensor:
    """Encode one conditioning image at the grid's pixel size → (1, h·w, C) tokens."""
    image = image_tensor(pixels, grid.width, grid.height)
    return lat.pack_video(encode_video(model.video_vae, image)).cpu()


def _fit_frames(tokens: torch.Tensor, frames: int) -> torch.Tensor:
    """Trim or zero-pad (1, T, C) audio tokens to exactly `frames`."""
    if tokens.shape[1] >= frames:
        return tokens[:, :frames]
    pad = torch.zeros(1, frames - tokens.shape[1], tokens.shape[2], device=tokens.device)
    return torch.cat([tokens, pad], dim=1)
