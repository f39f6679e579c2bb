"""Waveform → log-mel spectrogram for the audio VAE.

Matches the reference's torchaudio `MelSpectrogram(power=1, norm="slaney", mel_scale="slaney",
center=True, pad_mode="reflect")` followed by log(clamp(·, 1e-5)); written here because no CPU build of
torchaudio exists for our torch.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch


def log_mel(waveform: torch.Tensor, sample_rate: int, n_fft: int, hop: int, n_mels: int) -> torch.Tensor:
    """(B, C, N) waveform → (B, C, frames, n_mels) natural-log magnitude mel spectrogram."""
    batch, channels, samples = waveform.shape
    flat = waveform.reshape(batch * channels, samples).float()
    window = torch.hann_window(n_fft, dtype=torch.float32, device=flat.device)
    spec = torch.stft(
        flat,
        n_fft,
        hop_length=hop,
        win_length=n_fft,
        window=window,
        center=True,
        pad_mode="reflect",
        return_complex=True,
    ).abs()  # (B·C, n_fft/2 + 1, frames)
    fbank = torch.from_numpy(slaney_mel_filterbank(sample_rate, n_fft, n_mels)).to(flat.device)
    mel = torch.matmul(spec.transpose(1, 2), fbank)  # (B·C, frames, n_mels)
    mel = torch.log(mel.clamp_min(1e-5))
    return mel.reshape(batch, channels, mel.shape[1], n_mels)


@lru_cache(maxsize=8)
def slaney_mel_filterbank(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """(n_fft/2 + 1, n_mels) triangular filters on the Slaney mel scale, area-normalised (Slaney 1998)."""
    freqs = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    mel_points = np.linspace(_hz_to_mel(0.0), _hz_to_mel(sample_rate / 2.0), n_mels + 2)
    hz_points = _mel_to_hz(mel_points)
    widths = np.diff(hz_points)
    slopes = hz_points[None, :] - freqs[:, None]  # (freqs, n_mels + 2)
    down = -slopes[:, :-2] / widths[:-1]
    up = slopes[:, 2:] / widths[1:]
    bank = np.maximum(0.0, np.minimum(down, up))
    bank *= 2.0 / (hz_points[2 : n_mels + 2] - hz_points[:n_mels])  # equal area per filter
    return bank.astype(np.float32)


_F_SP = 200.0 / 3  # Hz per mel below 1 kHz on the Slaney scale
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def _hz_to_mel(hz: float | np.ndarray) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / _F_SP
    log = _MIN_LOG_MEL + np.log(np.maximum(hz, 1e-10) / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(hz >= _MIN_LOG_HZ, log, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    linear = _F_SP * mel
    log = _MIN_LOG_HZ * np.exp(_LOGSTEP * (mel - _MIN_LOG_MEL))
    return np.where(mel >= _MIN_LOG_MEL, log, linear)
