"""`preprocess_audio`: remove DC, trim leading/trailing silence, normalise loudness (see docs/media.md)."""

from __future__ import annotations

import numpy as np

# Loudness target for conditioning speech/music: -20 dBFS gated RMS sits between broadcast (-23 LUFS)
# and streaming (-16 LUFS) levels and leaves headroom for the peak ceiling below.
TARGET_DBFS = -20.0
PEAK_CEILING = 10 ** (-1.0 / 20)  # -1 dBFS, so the normalised signal never clips
MAX_GAIN_DB = 20.0  # a near-silent file is not boosted into loud noise
SILENCE_BELOW_PEAK_DB = 50.0  # a 10 ms window this far under the loudest one counts as silence
SILENCE_FLOOR_DBFS = -70.0
KEEP_MARGIN_S = 0.05  # keep a little of the silence so onsets are not clipped


def preprocess_audio(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    """DC removal → silence trim → gated-RMS loudness normalisation with a -1 dBFS peak ceiling."""
    wave = waveform - waveform.mean(axis=1, keepdims=True)
    wave = trim_silence(wave, sample_rate)
    return normalize_loudness(wave, sample_rate)


def conditioning_audio(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    """What audio-to-video's `preprocess_audio` does to the *conditioning* only: DC removal and loudness
    normalisation. Nothing is trimmed, so the conditioning keeps the input's timeline and the video
    stays in sync with the user's audio, which the output carries unchanged (docs/media.md)."""
    return normalize_loudness(waveform - waveform.mean(axis=1, keepdims=True), sample_rate)


def trim_silence(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    """Drop leading and trailing windows that are silent; an all-silent signal is returned as is."""
    window = max(1, sample_rate // 100)
    levels = _window_db(waveform, window)
    if levels.size == 0:
        return waveform
    threshold = max(levels.max() - SILENCE_BELOW_PEAK_DB, SILENCE_FLOOR_DBFS)
    loud = np.flatnonzero(levels > threshold)
    if loud.size == 0:
        return waveform
    margin = int(KEEP_MARGIN_S * sample_rate)
    start = max(0, loud[0] * window - margin)
    end = min(waveform.shape[1], (loud[-1] + 1) * window + margin)
    return waveform[:, start:end]


def normalize_loudness(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    """Scale to TARGET_DBFS gated loudness (ITU-R BS.1770 gating, without its K-weighting filter)."""
    loudness = gated_loudness_db(waveform, sample_rate)
    peak = float(np.abs(waveform).max(initial=0.0))
    if loudness is None or peak == 0.0:
        return waveform
    gain = 10 ** (min(TARGET_DBFS - loudness, MAX_GAIN_DB) / 20)
    gain = min(gain, PEAK_CEILING / peak)
    return (waveform * gain).astype(np.float32)


def gated_loudness_db(waveform: np.ndarray, sample_rate: int) -> float | None:
    """Mean power of 400 ms blocks (75 % overlap) above -70 dB and within 10 dB of the ungated mean."""
    block = max(1, int(0.4 * sample_rate))
    hop = max(1, block // 4)
    power = (waveform.astype(np.float64) ** 2).sum(axis=0)  # (N,) summed over channels, as BS.1770
    if power.size < block:
        block = hop = power.size
    if block == 0:
        return None
    cumulative = np.concatenate([[0.0], np.cumsum(power)])
    starts = np.arange(0, power.size - block + 1, hop)
    blocks = (cumulative[starts + block] - cumulative[starts]) / block
    blocks_db = 10 * np.log10(np.maximum(blocks, 1e-12))
    kept = blocks[blocks_db > -70.0]
    if kept.size == 0:
        return None
    relative = 10 * np.log10(kept.mean()) - 10.0
    kept = kept[10 * np.log10(kept) > relative]
    # Per-channel dBFS: a full-scale sine in both channels reads -3 dB, like a mono one.
    return float(10 * np.log10(kept.mean() / waveform.shape[0]))


def _window_db(waveform: np.ndarray, window: int) -> np.ndarray:
    """Level in dBFS of consecutive `window`-sample windows (loudest channel)."""
    n = waveform.shape[1] // window
    if n == 0:
        return np.zeros(0)
    framed = waveform[:, : n * window].reshape(waveform.shape[0], n, window)
    rms = np.sqrt((framed.astype(np.float64) ** 2).mean(axis=2)).max(axis=0)
    return 20 * np.log10(np.maximum(rms, 1e-10))
