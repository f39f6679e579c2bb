"""extend-video's last step: the generated segment joined to its source (media/stitch.py)."""

from __future__ import annotations

from dataclasses import replace

from ltxserve.endpoints.registry import Stitch
from ltxserve.engine.request import GenerationResult
from ltxserve.media.stitch import stitch_audio, stitch_video


def stitched(source: Stitch | None, result: GenerationResult) -> GenerationResult:
    """The result as the whole video when the plan extends a source; otherwise unchanged."""
    if source is None or result.frames is None:
        return result
    frames = stitch_video(source.frames, result.frames, source.overlap, before=source.before)
    waveform, rate = stitch_audio(
        (source.waveform, source.sample_rate) if source.waveform is not None else None,
        (result.waveform, result.sample_rate) if result.waveform is not None else None,
        fps=result.fps,
        source_frames=len(source.frames),
        segment_frames=len(result.frames),
        overlap=source.overlap,
        before=source.before,
    )
    return replace(
        result,
        frames=frames,
        waveform=waveform,
        sample_rate=rate or result.sample_rate,
        num_frames=len(frames),
    )
