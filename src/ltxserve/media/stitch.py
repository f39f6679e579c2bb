"""extend-video's output: the source and the new segment as one video, the audio cross-faded at the seam.

The overlap (the segment's context frames) is shown from the source, so the source reaches the output
unchanged and the new content starts right after it (forward) or ends right before it (backward).
"""

from __future__ import annotations

import numpy as np

from ltxserve.arrays.audio import fit_length, resample, to_stereo
from ltxserve.arrays.image import fit_image

# Longest audio cross-fade at the seam; shorter when the overlap is shorter.
CROSSFADE_S = 0.25


def stitch_video(
    source: np.ndarray,
    segment: np.ndarray,
    overlap: int,
    *,
    before: bool,
) -> np.ndarray:
    """Source frames (fitted to the segment's size) and the segment's new frames, in time order."""
    height, width = segment.shape[1:3]
    fitted = np.stack([fit_image(frame, width, height) for frame in source])
    if before:
        return np.concatenate([segment[: len(segment) - overlap], fitted])
    return np.concatenate([fitted, segment[overlap:]])


def stitch_audio(
    source: tuple[np.ndarray, int] | None,
    segment: tuple[np.ndarray, int] | None,
    *,
    fps: float,
    source_frames: int,
    segment_frames: int,
    overlap: int,
    before: bool,
) -> tuple[np.ndarray | None, int]:
    """The source's track and the segment's in the stitched timeline, cross-faded inside the overlap.

    Without segment audio (generate_audio off) the source's track plays and the new part is silent.
    """
    if segment is not None:
        rate = segment[1]
    elif source is not None:
        rate = source[1]
    else:
        return None, 0
    total = round((source_frames + segment_frames - overlap) / fps * rate)
    source_start = 0 if not before else round((segment_frames - overlap) / fps * rate)
    segment_start = 0 if before else round((source_frames - overlap) / fps * rate)
    src = _placed(source, rate, source_start, round(source_frames / fps * rate), total)
    if segment is None:
        return src, rate
    seg = _placed(segment, rate, segment_start, round(segment_frames / fps * rate), total)
    # The seam: where the picture switches from the source to the new frames (or back).
    seam = segment_start + round(overlap / fps * rate) if not before else source_start
    fade = min(round(CROSSFADE_S * rate), round(overlap / fps * rate))
    weight = np.clip((np.arange(total) - (seam - fade)) / max(fade, 1), 0.0, 1.0).astype(np.float32)
    if before:  # segment first, then the source: fade from the segment into the source after the seam
        weight = 1.0 - np.clip((np.arange(total) - seam) / max(fade, 1), 0.0, 1.0).astype(np.float32)
    return src * (1.0 - weight) + seg * weight, rate


def _placed(
    track: tuple[np.ndarray, int] | None, rate: int, start: int, length: int, total: int
) -> np.ndarray:
    """A (2, total) timeline holding `track` (resampled to `rate`, fitted to `length`) from `start` on."""
    timeline = np.zeros((2, total), np.float32)
    if track is None:
        return timeline
    waveform, track_rate = track
    placed = fit_length(resample(to_stereo(np.asarray(waveform, np.float32)), track_rate, rate), length)
    end = min(total, start + length)
    timeline[:, start:end] = placed[:, : end - start]
    return timeline
