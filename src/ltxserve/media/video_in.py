"""Decode an input video (extend-video's source): its frames as RGB and its audio track, under a budget."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np

from ltxserve.media.audio_in import decode_audio
from ltxserve.media.errors import MediaError
from ltxserve.media.limits import DEFAULT_LIMITS, MediaLimits
from ltxserve.media.source import MediaSource, open_source


@dataclass(frozen=True)
class DecodedVideo:
    """(F, H, W, 3) uint8 frames at `fps`, and the audio track as (2, samples) float32 (None: silent)."""

    frames: np.ndarray
    fps: float
    waveform: np.ndarray | None
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.frames) / self.fps


def decode_video(
    data: MediaSource, *, field: str = "video_url", limits: MediaLimits = DEFAULT_LIMITS
) -> DecodedVideo:
    """Decode the first video stream (any container and codec FFmpeg reads) and the first audio stream.

    Refuses, as soon as it is known, a video whose frames would pass `limits.max_video_pixel_frames`
    (width × height × frames: the decoded frames are held in memory as RGB).
    """
    with open_source(data, field=field, max_bytes=limits.max_input_bytes) as source:
        raw = source.read()
    try:
        container = av.open(io.BytesIO(raw), "r")
    except (av.FFmpegError, ValueError) as exc:
        raise _unsupported(field, "not a recognised video file") from exc
    with container:
        if not container.streams.video:
            raise _unsupported(field, "the file has no video track")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        if not rate or float(rate) <= 0:
            raise _unsupported(field, "the video track has no frame rate")
        _check_declared_size(stream, float(rate), field, limits)
        frames = _decode_frames(container, stream, field, limits)
        has_audio = bool(container.streams.audio)
    waveform, sample_rate = None, 0
    if has_audio:
        audio = decode_audio(raw, field=field, limits=limits)
        waveform, sample_rate = audio.waveform, audio.sample_rate
    return DecodedVideo(frames, float(rate), waveform, sample_rate)


def _decode_frames(
    container: av.container.InputContainer, stream: av.VideoStream, field: str, limits: MediaLimits
) -> np.ndarray:
    frames: list[np.ndarray] = []
    pixels = 0
    try:
        for frame in container.decode(stream):
            pixels += frame.width * frame.height
            if pixels > limits.max_video_pixel_frames:
                raise _over_budget(field, limits)
            frames.append(frame.to_ndarray(format="rgb24"))
    except av.FFmpegError as exc:
        raise _unsupported(field, f"the video could not be decoded ({exc.strerror})") from exc
    if not frames:
        raise _unsupported(field, "the video track contains no frames")
    if any(f.shape != frames[0].shape for f in frames):
        raise _unsupported(field, "the frame size changes within the video")
    return np.stack(frames)


def _check_declared_size(stream: av.VideoStream, fps: float, field: str, limits: MediaLimits) -> None:
    """Refuse early when the header already declares more than the budget (decoding enforces it anyway)."""
    frames = stream.frames
    if not frames and stream.duration is not None and stream.time_base is not None:
        frames = int(float(stream.duration * stream.time_base) * fps)
    width, height = stream.codec_context.width, stream.codec_context.height
    if frames and width and height and frames * width * height > limits.max_video_pixel_frames * 1.05:
        raise _over_budget(field, limits)


def _over_budget(field: str, limits: MediaLimits) -> MediaError:
    return MediaError(
        "file_too_large",
        f"the video has more than {limits.max_video_pixel_frames:,} pixels over all its frames (width × height "
        "× frames); send a shorter or smaller video",
        field=field,
        ctx={"max_pixel_frames": limits.max_video_pixel_frames},
    )


def _unsupported(field: str, why: str) -> MediaError:
    return MediaError("unsupported_video_format", why, field=field)
