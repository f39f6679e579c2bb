"""Encode generated audio (text-to-audio) to a file users can play anywhere."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import numpy as np

from ltxserve.arrays.audio import resample, sanitize, to_stereo
from ltxserve.media.probe import AudioFileInfo, probe_audio

AudioOutputFormat = Literal["wav", "mp3"]

# The vocoder speaks 48 kHz stereo; keep it. WAV (16-bit PCM) is the default: lossless, exact in length
# (no encoder priming or padding), plays in every browser, phone and editor, and is what fal's hosted
# text-to-audio models commonly return. MP3 at 320 kb/s is the compact alternative (about 1/5 the size).
OUTPUT_SAMPLE_RATE = 48000


@dataclass(frozen=True)
class AudioFormatSpec:
    extension: str
    container_format: str
    codec: str
    content_type: str
    bit_rate: int | None = None


AUDIO_FORMATS: dict[AudioOutputFormat, AudioFormatSpec] = {
    "wav": AudioFormatSpec(".wav", "wav", "pcm_s16le", "audio/wav"),
    "mp3": AudioFormatSpec(".mp3", "mp3", "libmp3lame", "audio/mpeg", bit_rate=320_000),
}


def encode_audio(
    waveform: np.ndarray,
    sample_rate: int,
    path: str | Path,
    *,
    output_format: AudioOutputFormat = "wav",
    chunk_samples: int = 1 << 16,
) -> AudioFileInfo:
    """Write (channels, samples) float32 as 48 kHz stereo `output_format`; returns the probed file info."""
    spec = AUDIO_FORMATS[output_format]
    path = Path(path)
    if path.suffix.lower() != spec.extension:
        raise ValueError(f"{output_format} output writes {spec.extension} files, not {path.name}")
    wave = resample(to_stereo(sanitize(waveform)), sample_rate, OUTPUT_SAMPLE_RATE)
    if wave.shape[1] == 0:
        raise ValueError("the waveform is empty")
    with av.open(str(path), "w", format=spec.container_format) as container:
        stream = container.add_stream(spec.codec, rate=OUTPUT_SAMPLE_RATE, layout="stereo")
        if not isinstance(stream, av.AudioStream):
            raise ValueError(f"{spec.codec} is not an audio codec")
        if spec.bit_rate:
            stream.bit_rate = spec.bit_rate
        for start in range(0, wave.shape[1], chunk_samples):
            chunk = np.ascontiguousarray(wave[:, start : start + chunk_samples])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = OUTPUT_SAMPLE_RATE
            frame.pts, frame.time_base = start, Fraction(1, OUTPUT_SAMPLE_RATE)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return probe_audio(path, content_type=spec.content_type)
