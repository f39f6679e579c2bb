"""A source clip for extend-video tests: moving bars (so a frame off shows) and a tone, in H.264+AAC."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ltxserve.media import AudioTrack, encode_video

RATE = 48000


def moving_frames(count: int, width: int = 96, height: int = 64) -> np.ndarray:
    """(count, H, W, 3) uint8: soft bars sliding 4 px per frame (a frame off shows), grey, slowly tinted."""
    x = np.arange(width)[None, :, None]
    frames = []
    for index in range(count):
        bars = 128 + 80 * np.sin(2 * np.pi * (x + 4 * index) / 24)  # (1, W, 1)
        tint = np.array([0, 0, 2 * index])[None, None, :]
        frames.append(np.repeat(np.clip(bars + tint, 0, 255), height, 0).astype(np.uint8))
    return np.stack(frames)


def tone(seconds: float, hz: float = 440.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return np.stack([0.3 * np.sin(2 * np.pi * hz * t)] * 2).astype(np.float32)


def write_clip(path: Path, count: int = 33, fps: float = 24.0, audio: bool = True) -> Path:
    frames = moving_frames(count)
    track = AudioTrack(tone(count / fps), RATE) if audio else None
    encode_video(path, frames, fps=fps, quality="maximum", audio=track)
    return path


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)
