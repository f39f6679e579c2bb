"""Initial token states: noise plus what the request conditions on (first image, end image, audio)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from ltxserve.engine.generation import geometry as lat
from ltxserve.engine.generation.context import write_audio_context, write_video_context
from ltxserve.engine.generation.geometry import AudioShape, TokenState, VideoShape
from ltxserve.engine.generation.sampling import noise_latent
from ltxserve.engine.generation.vae import encode_audio, encode_video, image_tensor
from ltxserve.engine.request import AudioInput, ImageInput, VideoContext

if TYPE_CHECKING:
    from ltxserve.engine.model import ModelParts


@dataclass(frozen=True)
class VideoPlan:
    shape: VideoShape
    pixel_height: int
    pixel_width: int
    num_frames: int
    fps: float


def video_tokens(
    model: ModelParts,
    plan: VideoPlan,
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
    denoise mask 1 − strength.
    """
    shape = plan.shape
    tokens = shape.tokens
    # Built on the CPU (where the seeded noise is drawn, so results match across devices), then moved.
    clean = torch.zeros(1, tokens, shape.channels) if start is None else start.float().cpu().clone()
    mask = torch.ones(1, tokens, 1)
    coords = lat.video_coords(model.transformer, shape, plan.fps, model.coords_dtype)
    per_frame = shape.height * shape.width

    if context is not None:
        write_video_context(model, clean, mask, context, plan.pixel_height, plan.pixel_width)
    if first_image is not None:
        image_tokens = _image_tokens(model, first_image.pixels, plan)
        clean[:, :per_frame] = image_tokens
        mask[:, :per_frame] = 1.0 - first_image.strength
    if end_image is not None:
        image_tokens = _image_tokens(model, end_image.pixels, plan)
        clean = torch.cat([clean, image_tokens], dim=1)
        mask = torch.cat([mask, torch.full((1, per_frame, 1), 1.0 - end_image.strength)], dim=1)
        key_coords = lat.keyframe_coords(
            model.transformer, shape, plan.num_frames - 1, plan.fps, model.coords_dtype, model.scales.temporal
        )
        coords = torch.cat([coords, key_coords], dim=2)

    noise = torch.randn(clean.shape, generator=generator, dtype=torch.float32)
    latent = noise_latent(clean, noise, mask, sigma)
    state = TokenState(latent=latent, clean=clean, mask=mask, coords=coords, generated=tokens)
    return state.to(model.device)


def dummy_video_tokens(model: ModelParts, fps: float) -> TokenState:
    """A one-token video stream for audio-only generation (isolated, so it never reaches the audio)."""
    shape = VideoShape(model.video_channels, 1, 1, 1)
    zeros = torch.zeros(1, 1, shape.channels)
    coords = lat.video_coords(model.transformer, shape, fps, model.coords_dtype)
    state = TokenState(latent=zeros, clean=zeros, mask=torch.zeros(1, 1, 1), coords=coords, generated=1)
    return state.to(model.device)


def audio_tokens(
    model: ModelParts,
    shape: AudioShape,
    audio: AudioInput | None,
    seconds: float,
    generator: torch.Generator,
    sigma: float = 1.0,
    start: torch.Tensor | None = None,
    context: VideoContext | None = None,
    fps: float = 24.0,
) -> TokenState:
    """Audio tokens: noise, or the encoded input audio with mask 1 − strength (strength 1 freezes it)."""
    mask = torch.ones(1, shape.frames, 1)
    if start is not None:
        clean = start.float().cpu().clone()
    elif audio is not None:
        latent = encode_audio(model.audio_vae, audio.waveform, audio.sample_rate, seconds, model.mel_config)
        clean = _fit_frames(lat.pack_audio(latent), shape.frames)
    else:
        clean = torch.zeros(1, shape.frames, shape.channels * shape.mel_bins)
    if audio is not None:
        mask = torch.full_like(mask, 1.0 - audio.strength)
    if context is not None and start is None:
        write_audio_context(model, shape, clean, mask, context, fps)
    coords = lat.audio_coords(model.transformer, shape, model.coords_dtype)
    clean = clean.cpu()
    noise = torch.randn(clean.shape, generator=generator, dtype=torch.float32)
    latent = noise_latent(clean, noise, mask, sigma)
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


def _image_tokens(model: ModelParts, pixels: np.ndarray, plan: VideoPlan) -> torch.Tensor:
    """Encode one conditioning image at the plan's size → (1, h·w, C) tokens."""
    image = image_tensor(pixels, plan.pixel_width, plan.pixel_height)
    return lat.pack_video(encode_video(model.video_vae, image)).cpu()


def _fit_frames(tokens: torch.Tensor, frames: int) -> torch.Tensor:
    """Trim or zero-pad (1, T, C) audio tokens to exactly `frames`."""
    if tokens.shape[1] >= frames:
        return tokens[:, :frames]
    pad = torch.zeros(1, frames - tokens.shape[1], tokens.shape[2], device=tokens.device)
    return torch.cat([tokens, pad], dim=1)
