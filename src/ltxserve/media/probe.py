"""Measure written files with PyAV: the output metadata users get is read back, never assumed."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mov": "video/quicktime",
    ".gif": "image/gif",
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
}


@dataclass(frozen=True)
class StreamSpan:
    """Packets counted and the time they cover, from demuxing (no decoding)."""

    packets: int
    start: float
    end: float

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class VideoFileInfo:
    """fal's VideoFile fields (less `url`) plus the codec facts tests and logs want."""

    file_name: str
    content_type: str
    file_size: int
    width: int
    height: int
    fps: float
    duration: float
    num_frames: int
    video_codec: str
    pix_fmt: str
    audio_codec: str | None = None
    audio_sample_rate: int | None = None
    audio_channels: int | None = None
    audio_duration: float | None = None

    def fal_fields(self) -> dict[str, object]:
        """The keys of fal's VideoFile, ready to merge with a `url`."""
        keys = ("content_type", "file_name", "file_size", "width", "height", "fps", "duration", "num_frames")
        return {key: getattr(self, key) for key in keys}


@dataclass(frozen=True)
class AudioFileInfo:
    """fal's File fields (less `url`) plus duration, sample rate and channels."""

    file_name: str
    content_type: str
    file_size: int
    duration: float
    sample_rate: int
    channels: int
    codec: str

    def fal_fields(self) -> dict[str, object]:
        keys = ("content_type", "file_name", "file_size", "duration", "sample_rate", "channels")
        return {key: getattr(self, key) for key in keys}


def probe_video(path: str | Path, *, content_type: str | None = None) -> VideoFileInfo:
    """Frame count from the packets, fps from their timing, duration = frames / fps."""
    path = Path(path)
    with av.open(str(path), "r") as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        spans = _spans(container)
        frames = spans[video.index].packets
        fps = _measured_fps(frames, spans[video.index].duration, video.average_rate or video.guessed_rate)
        info = VideoFileInfo(
            file_name=path.name,
            content_type=content_type or CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream"),
            file_size=path.stat().st_size,
            width=video.codec_context.width,
            height=video.codec_context.height,
            fps=round(fps, 6),
            duration=round(frames / fps, 6),
            num_frames=frames,
            video_codec=video.codec_context.name,
            pix_fmt=video.codec_context.pix_fmt or "",
        )
        if audio is None:
            return info
        return _with_audio(info, audio, spans[audio.index])


def probe_audio(path: str | Path, *, content_type: str | None = None) -> AudioFileInfo:
    """Duration from the demuxed packets (priming and padding removed by the demuxer)."""
    path = Path(path)
    with av.open(str(path), "r") as container:
        audio = container.streams.audio[0]
        span = _spans(container)[audio.index]
        return AudioFileInfo(
            file_name=path.name,
            content_type=content_type or CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream"),
            file_size=path.stat().st_size,
            duration=round(span.duration, 6),
            sample_rate=audio.codec_context.sample_rate,
            channels=audio.codec_context.channels,
            codec=audio.codec_context.name,
        )


def _measured_fps(frames: int, span: float, declared: Fraction | None) -> float:
    """frames / span; the declared rate when it agrees (it is exact: 24000/1001, not 23.9760 ± ms)."""
    measured = frames / span if span > 0 else 0.0
    if declared and (measured == 0.0 or abs(float(declared) - measured) < 0.01 * measured):
        return float(declared)
    return measured


def _with_audio(info: VideoFileInfo, audio: av.AudioStream, span: StreamSpan) -> VideoFileInfo:
    from dataclasses import replace

    return replace(
        info,
        audio_codec=audio.codec_context.name,
        audio_sample_rate=audio.codec_context.sample_rate,
        audio_channels=audio.codec_context.channels,
        audio_duration=round(span.duration, 6),
    )


def _spans(container: av.container.InputContainer) -> dict[int, StreamSpan]:
    """Per stream: packet count, first timestamp and the end of the last packet, in seconds."""
    counts: dict[int, int] = {}
    starts: dict[int, float] = {}
    ends: dict[int, float] = {}
    for packet in container.demux():
        if packet.size == 0 or packet.pts is None or packet.time_base is None:
            continue  # flush packets
        index = packet.stream.index
        start = float(packet.pts * packet.time_base)
        end = float((packet.pts + (packet.duration or 0)) * packet.time_base)
        counts[index] = counts.get(index, 0) + 1
        starts[index] = min(starts.get(index, start), start)
        ends[index] = max(ends.get(index, end), end)
    return {index: StreamSpan(counts[index], max(0.0, starts[index]), ends[index]) for index in counts}
