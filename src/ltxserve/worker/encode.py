"""Turn a `GenerationResult` into the output file the endpoint promises (video container or audio)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ltxserve.endpoints.common import OutputOptions
from ltxserve.engine.request import GenerationResult
from ltxserve.media import (
    CONTAINERS,
    AudioFileInfo,
    AudioTrack,
    VideoFileInfo,
    encode_audio,
    encode_video,
)

# fal's own output fields; everything else the probe measured travels as extra File fields.
_FILE_FIELDS = ("content_type", "file_name", "file_size")


@dataclass(frozen=True)
class EncodedOutput:
    data: bytes
    content_type: str
    file_name: str
    extra: dict[str, Any]


def encode_result(
    kind: Literal["video", "audio"], result: GenerationResult, options: OutputOptions, scratch: Path
) -> EncodedOutput:
    """Encode in `scratch` under an unguessable name and return the bytes with the measured metadata."""
    name = secrets.token_urlsafe(12)
    if kind == "audio":
        assert result.waveform is not None, "text-to-audio produced no waveform"
        info: AudioFileInfo | VideoFileInfo = encode_audio(
            result.waveform, result.sample_rate, scratch / f"{name}.wav"
        )
    else:
        assert result.frames is not None, "a video endpoint produced no frames"
        extension = CONTAINERS[options.video_output_type].extension
        audio = AudioTrack(result.waveform, result.sample_rate) if result.waveform is not None else None
        info = encode_video(
            scratch / f"{name}{extension}",
            result.frames,
            fps=result.fps,
            output_type=options.video_output_type,
            quality=options.video_quality,
            write_mode=options.video_write_mode,
            audio=audio,
        )
    path = scratch / info.file_name
    extra = {key: value for key, value in info.fal_fields().items() if key not in _FILE_FIELDS}
    return EncodedOutput(path.read_bytes(), info.content_type, info.file_name, extra)
