"""Decode any audio input (or a video file's audio track) to a stereo float32 waveform."""

from __future__ import annotations

import math
from dataclasses import dataclass

import av
import numpy as np

from ltxserve.arrays.audio import to_stereo
from ltxserve.media.audio_prep import preprocess_audio
from ltxserve.media.errors import MediaError
from ltxserve.media.limits import DEFAULT_LIMITS, MediaLimits
from ltxserve.media.source import MediaSource, open_source


@dataclass(frozen=True)
class DecodedAudio:
    """A decoded input: (2, samples) float32 in [-1, 1] at `sample_rate`."""

    waveform: np.ndarray
    sample_rate: int
    source_channels: int
    source_codec: str

    @property
    def num_samples(self) -> int:
        return int(self.waveform.shape[1])

    @property
    def duration(self) -> float:
        return self.num_samples / self.sample_rate

    def frames_at(self, fps: float) -> int:
        """Video frames needed to cover the audio (endpoints then snap this to 8k+1 within range)."""
        return max(1, math.ceil(self.duration * fps - 1e-6))


def decode_audio(
    data: MediaSource,
    *,
    field: str = "audio_url",
    limits: MediaLimits = DEFAULT_LIMITS,
    target_rate: int | None = None,
    preprocess: bool = False,
) -> DecodedAudio:
    """Decode the first audio stream; mono → duplicated stereo, >2 channels → FFmpeg's stereo downmix."""
    with open_source(data, field=field, max_bytes=limits.max_input_bytes) as source:
        try:
            container = av.open(source, "r")
        except (av.FFmpegError, ValueError) as exc:
            raise _unsupported(field, "not a recognised audio or video file") from exc
        with container:
            if not container.streams.audio:
                raise _unsupported(field, "the file has no audio track")
            stream = container.streams.audio[0]
            source_rate = stream.codec_context.sample_rate
            if not source_rate:
                raise _unsupported(field, "the audio track has no sample rate")
            _check_declared_duration(container, stream, field=field, limits=limits)
            rate = target_rate or source_rate
            try:
                waveform, channels = _decode_stream(container, stream, rate, field=field, limits=limits)
            except av.FFmpegError as exc:
                raise _unsupported(field, f"the audio could not be decoded ({exc.strerror})") from exc
            codec = stream.codec_context.name
    if waveform.shape[1] == 0:
        raise _unsupported(field, "the audio track contains no samples")
    if preprocess:
        waveform = preprocess_audio(waveform, rate)
    return DecodedAudio(np.ascontiguousarray(waveform, dtype=np.float32), rate, channels, codec)


def _decode_stream(
    container: av.container.InputContainer,
    stream: av.AudioStream,
    rate: int,
    *,
    field: str,
    limits: MediaLimits,
) -> tuple[np.ndarray, int]:
    """Decode packet by packet, refusing as soon as the decoded length passes the limit."""
    resampler: av.AudioResampler | None = None
    channels = 0
    decoded_seconds = 0.0
    pieces: list[np.ndarray] = []
    for packet in container.demux(stream):
        for frame in packet.decode():
            if resampler is None:
                channels = frame.layout.nb_channels
                # Mono stays mono here and is duplicated below: swresample would attenuate it by 3 dB.
                layout = "mono" if channels == 1 else "stereo"
                resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
            decoded_seconds += frame.samples / frame.sample_rate
            if decoded_seconds > limits.max_audio_seconds:
                raise _too_long(field, limits)
            pieces.extend(f.to_ndarray() for f in resampler.resample(frame))
    if resampler is None:
        return np.zeros((2, 0), np.float32), 0
    pieces.extend(f.to_ndarray() for f in resampler.resample(None))
    return to_stereo(np.concatenate(pieces, axis=1)), channels


def _check_declared_duration(
    container: av.container.InputContainer, stream: av.AudioStream, *, field: str, limits: MediaLimits
) -> None:
    """Refuse early when the header already declares more than the limit (decoding enforces it anyway)."""
    seconds = None
    if stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        seconds = container.duration / av.time_base
    if seconds is not None and seconds > limits.max_audio_seconds + 1.0:
        raise _too_long(field, limits)


def _too_long(field: str, limits: MediaLimits) -> MediaError:
    return MediaError(
        "file_too_large",
        f"the audio is longer than the limit of {limits.max_audio_seconds:g} seconds",
        field=field,
        ctx={"max_duration": limits.max_audio_seconds},
    )


def _unsupported(field: str, why: str) -> MediaError:
    return MediaError("unsupported_audio_format", why, field=field)
