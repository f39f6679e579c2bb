"""extend-video's conditioning: source frames and audio written into one end of the new segment's tokens.

Like a first image (latent frame 0), but several latent frames: the tokens get the encoded source and
denoise mask 1 − strength, so strength 1 keeps them as they are and the model continues from them.
"""

from __future__ import annotations

import numpy as np
import torch

from ltxserve.arrays.image import fit_image
from ltxserve.engine.generation import tokens as lat
from ltxserve.engine.generation.vae import encode_audio, encode_video
from ltxserve.engine.geometry import LatentGeometry, VideoGrid
from ltxserve.engine.model import ModelParts
from ltxserve.engine.request import VideoContext


def write_video_context(
    model: ModelParts,
    geometry: LatentGeometry,
    grid: VideoGrid,
    clean: torch.Tensor,
    mask: torch.Tensor,
    context: VideoContext,
) -> None:
    """Put the encoded context frames (at the grid's pixel size) into (1, T, C) `clean` / (1, T, 1) `mask`,
    in place."""
    frames = np.stack([fit_image(frame, grid.width, grid.height) for frame in context.frames])  # (F, H, W, 3)
    pixels = torch.from_numpy(frames).permute(3, 0, 1, 2)[None].float() / 127.5 - 1.0  # (1, 3, F, H, W)
    tokens = lat.pack_video(encode_video(model.video_vae, pixels)).cpu()  # (1, (k+1)·h·w, C)
    per_frame = tokens.shape[1] // geometry.scales.video_frames(len(frames))
    if context.at_end:
        # The context's first latent frame holds one pixel frame and cannot line up with the segment's
        # grid at its end; its other k latent frames (8 pixel frames each) fill the segment's last k.
        tokens = tokens[:, per_frame:]
        clean[:, clean.shape[1] - tokens.shape[1] :] = tokens
        mask[:, mask.shape[1] - tokens.shape[1] :] = 1.0 - context.strength
    else:
        clean[:, : tokens.shape[1]] = tokens
        mask[:, : tokens.shape[1]] = 1.0 - context.strength


def write_audio_context(
    model: ModelParts,
    geometry: LatentGeometry,
    clean: torch.Tensor,
    mask: torch.Tensor,
    context: VideoContext,
) -> None:
    """Put the encoded context audio into (1, T, C·M) `clean` / (1, T, 1) `mask`, in place."""
    audio = context.audio
    if audio is None:
        return
    seconds = len(context.frames) / geometry.fps
    frames = min(geometry.audio.frames, geometry.scales.audio_frames(seconds))
    latent = encode_audio(model.audio_vae, audio.waveform, audio.sample_rate, seconds, model.mel_config)
    tokens = lat.pack_audio(latent).cpu()[:, :frames]
    frames = tokens.shape[1]
    if context.at_end:
        clean[:, clean.shape[1] - frames :] = tokens
        mask[:, mask.shape[1] - frames :] = 1.0 - audio.strength
    else:
        clean[:, :frames] = tokens
        mask[:, :frames] = 1.0 - audio.strength
