"""Test assets generated on the fly: espeak-ng speech in every input format, images, moving frames."""

from __future__ import annotations

import io
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

# (file name, container format, codec, sample rate, layout, encoder options)
AUDIO_INPUT_FORMATS = [
    ("speech.mp3", "mp3", "libmp3lame", 44100, "mono", {}),
    ("speech.wav", "wav", "pcm_s16le", 22050, "mono", {}),
    ("speech.flac", "flac", "flac", 48000, "stereo", {}),
    # FFmpeg's native Vorbis encoder is marked experimental but writes valid streams (stereo only).
    ("speech.ogg", "ogg", "vorbis", 44100, "stereo", {"strict": "experimental"}),
    ("speech.opus", "ogg", "libopus", 48000, "mono", {}),
    ("speech.m4a", "ipod", "aac", 44100, "stereo", {}),
    ("speech.webm", "webm", "libopus", 48000, "stereo", {}),
]


def espeak_speech(directory: Path) -> Path:
    """A few seconds of speech from espeak-ng (22.05 kHz mono WAV); fails (never skips) without espeak-ng."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed (apt-get install espeak-ng, or run scripts/test)")
    path = directory / "espeak.wav"
    text = "Oh, what a lovely day we are having. The quick brown fox jumps over the lazy dog."
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)
    return path


def read_waveform(path: Path) -> tuple[np.ndarray, int]:
    """Decode with PyAV directly (reference for the decoder under test): (C, N) float32, rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout=stream.layout.name, rate=stream.rate)
        pieces = [f.to_ndarray() for frame in container.decode(stream) for f in resampler.resample(frame)]
    return np.concatenate(pieces, axis=1), stream.rate


def write_audio(
    path: Path,
    waveform: np.ndarray,
    rate: int,
    *,
    fmt: str,
    codec: str,
    out_rate: int,
    layout: str,
    options=None,
) -> Path:
    """Encode a (C, N) float32 waveform with PyAV into the given container and codec."""
    if layout == "stereo" and waveform.shape[0] == 1:
        waveform = np.repeat(waveform, 2, axis=0)  # swresample's mono→stereo would attenuate by 3 dB
    channels = waveform.shape[0]
    src_layout = {1: "mono", 2: "stereo", 6: "5.1"}[channels]
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=out_rate, layout=layout, options=options or {})
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(waveform, dtype=np.float32), format="fltp", layout=src_layout
        )
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def speech_in_every_format(directory: Path) -> dict[str, Path]:
    """espeak-ng speech converted with PyAV into each input format, plus an mp4 with a video track."""
    source = espeak_speech(directory)
    waveform, rate = read_waveform(source)
    paths = {"speech.wav.src": source}
    for name, fmt, codec, out_rate, layout, options in AUDIO_INPUT_FORMATS:
        paths[name] = write_audio(
            directory / name,
            waveform,
            rate,
            fmt=fmt,
            codec=codec,
            out_rate=out_rate,
            layout=layout,
            options=options,
        )
    paths["speech_video.mp4"] = write_video_with_audio(directory / "speech_video.mp4", waveform, rate)
    return paths


def write_video_with_audio(path: Path, waveform: np.ndarray, rate: int) -> Path:
    """A small H.264 + AAC mp4 (black frames), for 'the audio track of a video file'."""
    seconds = waveform.shape[1] / rate
    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        audio = container.add_stream("aac", rate=48000, layout="stereo")
        for index in range(int(seconds * 10)):
            frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        stereo = np.ascontiguousarray(np.repeat(waveform, 2, axis=0), np.float32)
        frame = av.AudioFrame.from_ndarray(stereo, format="fltp", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        container.mux(audio.encode(frame))
        container.mux(audio.encode(None))
    return path


def tone(
    seconds: float, rate: int = 48000, channels: int = 1, freq: float = 440.0, amp: float = 0.3
) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    wave = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(wave[None], channels, axis=0)


def moving_frames(n: int = 25, width: int = 256, height: int = 160, seed: int = 0) -> np.ndarray:
    """(n, H, W, 3) uint8: moving colour gradients over a panned random texture plus a little grain.

    Real detail and real motion, so encoder settings change file sizes as they would on generated video.
    """
    rng = np.random.default_rng(seed)
    plate = np.kron(rng.integers(0, 256, (height // 4 + 40, width // 4 + 40, 3)), np.ones((4, 4, 1)))
    plate = 0.5 * plate + 0.5 * rng.integers(0, 256, plate.shape)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    out = np.empty((n, height, width, 3), np.uint8)
    for i in range(n):
        t = i / n
        gradient = np.stack(
            [
                127 + 90 * np.sin(2 * np.pi * (x / width + t)),
                127 + 90 * np.sin(2 * np.pi * (y / height - t)),
                127 + 90 * np.cos(2 * np.pi * ((x + y) / (width + height) + t)),
            ],
            -1,
        )
        dy, dx = i * 2 % 80, i * 3 % 80
        image = (
            0.6 * gradient + 0.4 * plate[dy : dy + height, dx : dx + width] + rng.normal(0, 2, gradient.shape)
        )
        out[i] = np.clip(image, 0, 255).astype(np.uint8)
    return out


def gradient_image(width: int = 320, height: int = 200, alpha: bool = False) -> Image.Image:
    """An RGB(A) test card: red grows left→right, green top→bottom; alpha 0 on the left half."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // (width - 1), y * 255 // (height - 1), np.full_like(x, 64)], -1).astype(
        np.uint8
    )
    if not alpha:
        return Image.fromarray(rgb, "RGB")
    a = np.where(x < width // 2, 0, 255).astype(np.uint8)[..., None]
    return Image.fromarray(np.concatenate([rgb, a], -1), "RGBA")


def image_bytes(image: Image.Image, fmt: str, **save_options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save_options)
    return buffer.getvalue()
