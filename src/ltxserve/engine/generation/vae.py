"""Pixels and waveforms ↔ normalised latents, with the normalisation the reference applies."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import torch

from ltxserve.arrays.audio import fit_length, resample, to_stereo
from ltxserve.arrays.image import fit_image
from ltxserve.engine.generation.mel import log_mel
from ltxserve.engine.generation.tiling import Tiling, decode_tiled

if TYPE_CHECKING:
    from diffusers.models.autoencoders.autoencoder_kl_ltx2 import AutoencoderKLLTX2Video
    from diffusers.models.autoencoders.autoencoder_kl_ltx2_audio import AutoencoderKLLTX2Audio
    from diffusers.pipelines.ltx2.vocoder import LTX2VocoderWithBWE

RESAMPLE_MARGIN_S = 1.0


def _channel_stats(
    vae: AutoencoderKLLTX2Video | AutoencoderKLLTX2Audio, ndim: int
) -> tuple[torch.Tensor, torch.Tensor]:
    shape = [1, -1] + [1] * (ndim - 2)
    return vae.latents_mean.view(*shape).float(), vae.latents_std.view(*shape).float()


def image_tensor(pixels: np.ndarray, width: int, height: int) -> torch.Tensor:
    """(H, W, 3) uint8 → (1, 3, 1, height, width) in [-1, 1], fitted by media's cover-and-crop rule.

    The worker already fits images to the output size; this resizes them for two-stage's half-size stage.
    """
    fitted = np.array(fit_image(pixels, width, height), dtype=np.uint8)
    image = torch.from_numpy(fitted).permute(2, 0, 1)[None].float() / 127.5 - 1.0
    return image[:, :, None]


def encode_video(vae: AutoencoderKLLTX2Video, pixels: torch.Tensor) -> torch.Tensor:
    """(B, 3, F, H, W) in [-1, 1] → normalised latent (B, C, f, h, w): (μ − mean) / std."""
    weight = next(vae.parameters())
    posterior = vae.encode(pixels.to(device=weight.device, dtype=weight.dtype)).latent_dist
    mean, std = _channel_stats(vae, 5)
    return (posterior.mean.float() - mean) / std


def decode_video(
    vae: AutoencoderKLLTX2Video, latent: torch.Tensor, tiling: Tiling | None = None
) -> np.ndarray:
    """Normalised latent (1, C, f, h, w) → frames (F, H, W, 3) uint8; in overlapping tiles when `tiling`."""
    dtype = next(vae.parameters()).dtype
    mean, std = _channel_stats(vae, 5)
    if tiling is not None:
        # diffusers' `spatial_compression_ratio` counts a time-only compression block as spatial too (64
        # for the real layout, which compresses space 32×): take the factors from the decoder's own output.
        def decode(part: torch.Tensor) -> torch.Tensor:
            return vae.decode((part.float() * std + mean).to(dtype), return_dict=False)[0]

        return decode_tiled(decode, latent, tiling)
    video = vae.decode((latent.float() * std + mean).to(dtype), return_dict=False)[0][0]  # (C, F, H, W)
    # In place, then permute the uint8 result: one float pass over the frames instead of four.
    video = video.float().clamp_(-1.0, 1.0).add_(1.0).mul_(127.5).round_().to(torch.uint8)
    return video.permute(1, 2, 3, 0).contiguous().cpu().numpy()  # (F, H, W, C)


def un_normalise_video(vae: AutoencoderKLLTX2Video, latent: torch.Tensor) -> torch.Tensor:
    mean, std = _channel_stats(vae, 5)
    return latent.float() * std + mean


def normalise_video(vae: AutoencoderKLLTX2Video, latent: torch.Tensor) -> torch.Tensor:
    mean, std = _channel_stats(vae, 5)
    return (latent.float() - mean) / std


def encode_audio(
    audio_vae: AutoencoderKLLTX2Audio, waveform: np.ndarray, rate: int, seconds: float, mel: dict[str, int]
) -> torch.Tensor:
    """Waveform (C, N) → normalised audio latent (1, C_lat, T, M); the input is trimmed or padded to `seconds`.

    `mel` gives the VAE's front end: sample_rate, n_fft, hop, n_mels (from the checkpoint config).
    """
    # Only the first `seconds` are used: trim before resampling (a 10-minute upload costs ≈ 0.5 s to
    # resample whole); one extra second covers the resampling filter, so the kept samples are identical.
    needed = math.ceil((seconds + RESAMPLE_MARGIN_S) * rate)
    stereo = resample(to_stereo(waveform[..., :needed].astype(np.float32)), rate, mel["sample_rate"])
    stereo = fit_length(stereo, round(seconds * mel["sample_rate"]))
    weight = next(audio_vae.parameters())
    spectrogram = log_mel(  # on the model's device: the STFT and filterbank run there too
        torch.from_numpy(stereo)[None].to(weight.device),
        mel["sample_rate"],
        mel["n_fft"],
        mel["hop"],
        mel["n_mels"],
    )
    posterior = audio_vae.encode(spectrogram.to(device=weight.device, dtype=weight.dtype)).latent_dist
    latent = posterior.mean.float()  # (1, C, T, M)
    return _normalise_audio(audio_vae, latent)


def decode_audio(
    audio_vae: AutoencoderKLLTX2Audio, vocoder: LTX2VocoderWithBWE, latent: torch.Tensor
) -> np.ndarray:
    """Normalised audio latent (1, C, T, M) → waveform (2, samples) float32 at the vocoder's output rate."""
    batch, channels, frames, bins = latent.shape
    packed = latent.float().transpose(1, 2).reshape(batch, frames, channels * bins)
    packed = packed * audio_vae.latents_std.float() + audio_vae.latents_mean.float()
    raw = packed.reshape(batch, frames, channels, bins).transpose(1, 2)
    dtype = next(audio_vae.parameters()).dtype
    spectrogram = audio_vae.decode(raw.to(dtype), return_dict=False)[0]
    waveform = vocoder(spectrogram.to(next(vocoder.parameters()).dtype))
    return waveform[0].float().clamp(-1.0, 1.0).cpu().numpy()


def _normalise_audio(audio_vae: AutoencoderKLLTX2Audio, latent: torch.Tensor) -> torch.Tensor:
    """(μ − mean) / std on the packed (B, T, C·M) layout, where the statistics live."""
    batch, channels, frames, bins = latent.shape
    packed = latent.transpose(1, 2).reshape(batch, frames, channels * bins)
    packed = (packed - audio_vae.latents_mean.float()) / audio_vae.latents_std.float()
    return packed.reshape(batch, frames, channels, bins).transpose(1, 2)
