"""Channel, rate and length conversions on (channels, samples) float32 waveforms."""

from __future__ import annotations

import av
import numpy as np

# Samples per chunk handed to swresample; bounds the temporary frames, not the result.
_CHUNK = 1 << 16


def to_stereo(waveform: np.ndarray) -> np.ndarray:
    """(C, N) → (2, N): mono is duplicated (not attenuated), stereo kept, extra channels rejected."""
    if waveform.ndim == 1:
        waveform = waveform[None, :]
    if waveform.shape[0] == 1:
        return np.repeat(waveform, 2, axis=0)
    if waveform.shape[0] == 2:
        return waveform
    raise ValueError(f"expected 1 or 2 channels, got {waveform.shape[0]}; downmix while decoding")


def resample(waveform: np.ndarray, sample_rate: int, target_rate: int) -> np.ndarray:
    """Resample (C, N) float32 with swresample (the same filter FFmpeg uses everywhere)."""
    if sample_rate == target_rate:
        return waveform
    layout = {1: "mono", 2: "stereo"}[waveform.shape[0]]
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=target_rate)
    pieces: list[np.ndarray] = []
    for start in range(0, waveform.shape[1], _CHUNK):
        chunk = np.ascontiguousarray(waveform[:, start : start + _CHUNK], dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
        frame.sample_rate = sample_rate
        pieces.extend(f.to_ndarray() for f in resampler.resample(frame))
    pieces.extend(f.to_ndarray() for f in resampler.resample(None))
    expected = round(waveform.shape[1] * target_rate / sample_rate)
    out = np.concatenate(pieces, axis=1) if pieces else np.zeros((waveform.shape[0], 0), np.float32)
    return fit_length(out, expected)


def fit_length(waveform: np.ndarray, num_samples: int) -> np.ndarray:
    """Trim or pad with silence to exactly `num_samples` (keeps audio and video the same length)."""
    have = waveform.shape[1]
    if have >= num_samples:
        return waveform[:, :num_samples]
    pad = np.zeros((waveform.shape[0], num_samples - have), dtype=waveform.dtype)
    return np.concatenate([waveform, pad], axis=1)


def sanitize(waveform: np.ndarray) -> np.ndarray:
    """float32, finite and within [-1, 1]: what every encoder expects."""
    wave = np.nan_to_num(np.asarray(waveform, dtype=np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
    return np.clip(wave, -1.0, 1.0)
