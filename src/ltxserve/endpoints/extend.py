"""The extend-video kind: continue a source video forward, or lead into it backward, and stitch the two.

`num_context_frames` of the source (snapped down to 8k+1, at most the source's length) condition one end
of the new segment; `num_frames` counts the segment including that overlap; the worker returns the whole
stitched video (`Plan.stitch`). See docs/endpoints.md.
"""

from __future__ import annotations

import numpy as np

from ltxserve.endpoints.conditioning import conditioning_image, image_input
from ltxserve.endpoints.plans import Inputs, Size, Tier, video_request
from ltxserve.endpoints.registry import Plan, PlanError, ResolvedMedia, Stitch
from ltxserve.endpoints.sizes import FRAME_STRIDE, resolve_size, round_frames
from ltxserve.engine.request import AudioInput, ImageInput, VideoContext

# The stable generation budget (width × height × frames of the new segment): fal's "about 11 s at
# 720p-class, 5 s at 1080p-class" at 24 fps; 480p-class reaches the 481-frame cap first.
GENERATION_BUDGET = 1280 * 720 * 24 * 11
# `auto` follows the source's own size up to 1080p-class (shrunk past this many pixels, aspect kept).
AUTO_AREA = 1920 * 1080
MAX_FPS = 60


def extend_video(tier: Tier, inp: Inputs, media: ResolvedMedia) -> Plan:
    source = media.videos.get("video_url")
    if source is None:
        raise PlanError(("video_url",), "video_url was not fetched", "file_download_error")
    fps = (
        float(min(MAX_FPS, max(1, round(source.fps))))
        if inp.match_input_fps
        else getattr(inp, tier.fps_field)
    )
    frames = at_rate(source.frames, source.fps, fps)
    size = _size(tier, inp, frames)
    num_frames = round_frames(inp.num_frames)
    overlap = context_length(inp.num_context_frames, len(frames))
    _check(num_frames, overlap, size)
    before = inp.extend_direction == "backward"
    window = frames[:overlap] if before else frames[len(frames) - overlap :]
    audio = _audio_window(
        source.waveform,
        source.sample_rate,
        len(frames),
        overlap,
        fps,
        before,
        getattr(inp, "audio_strength", 1.0),
    )
    context, edge = _context(window, inp.video_strength, before, audio, size, media.stand_in)
    # The optional image holds the far end: the last frame forward, the new first frame backward.
    far = image_input(media, "end_image_url", inp.end_image_url, inp.end_image_strength, size)
    images = {"image": far, "end_image": edge} if before else {"image": None, "end_image": far}
    request = video_request(tier, inp, media, size, fps=fps, video_context=context, **images)
    return Plan(request, Stitch(frames, source.waveform, source.sample_rate, overlap, before))


def at_rate(frames: np.ndarray, rate: float, fps: float) -> np.ndarray:
    """The frames resampled in time to `fps` (nearest frame), covering the same duration."""
    if abs(rate - fps) < 1e-6:
        return frames
    count = max(1, round(len(frames) * fps / rate))
    picks = np.minimum(len(frames) - 1, np.floor(np.arange(count) * rate / fps + 1e-6).astype(int))
    return frames[picks]


def context_length(requested: int, available: int) -> int:
    """`num_context_frames` snapped down to 8k+1 and to the source's length (0 stays 0)."""
    frames = min(requested, available)
    return 0 if frames < 1 else (frames - 1) // FRAME_STRIDE * FRAME_STRIDE + 1


def _size(tier: Tier, inp: Inputs, frames: np.ndarray) -> Size:
    size = getattr(inp, tier.size_field)
    value = size if isinstance(size, str) else (size.width, size.height)
    two_stage = bool(tier.sampling(inp)["use_multiscale"])
    source = (int(frames.shape[2]), int(frames.shape[1]))
    return resolve_size(value, two_stage=two_stage, image_size=source, auto_policy="fit", auto_area=AUTO_AREA)


def _check(num_frames: int, overlap: int, size: Size) -> None:
    """422 for a segment with no new frame or over the generation budget."""
    if num_frames <= overlap:
        msg = f"num_frames ({num_frames}) must be larger than the context it includes ({overlap} frames)"
        raise PlanError(("num_frames",), msg, "greater_than")
    width, height = size
    if num_frames * width * height > GENERATION_BUDGET:
        most = round_frames(GENERATION_BUDGET / (width * height) - FRAME_STRIDE / 2, lo=1)
        msg = (
            f"{num_frames} frames at {width}x{height} is over the stable generation budget "
            f"({GENERATION_BUDGET:,} pixels x frames); at this size use at most {most} frames, or a smaller resolution"
        )
        raise PlanError(("num_frames",), msg, "less_than")


def _audio_window(
    waveform: np.ndarray | None,
    rate: int,
    frames: int,
    overlap: int,
    fps: float,
    before: bool,
    strength: float,
) -> AudioInput | None:
    """The source audio under the context frames."""
    if waveform is None or overlap == 0:
        return None
    length = round(overlap / fps * rate)
    start = 0 if before else max(0, round(frames / fps * rate) - length)
    return AudioInput(waveform=waveform[:, start : start + length], sample_rate=rate, strength=strength)


def _context(
    window: np.ndarray,
    strength: float,
    before: bool,
    audio: AudioInput | None,
    size: Size,
    stand_in: bool,
) -> tuple[VideoContext | None, ImageInput | None]:
    """The context as latent frames, or (one frame at the segment's end) as an end keyframe, which is
    prepared like any conditioning image."""
    if len(window) == 0:
        return None, None
    if before and len(window) == 1:
        return None, conditioning_image(window[0], strength, size, stand_in)
    return VideoContext(frames=window, strength=strength, at_end=before, audio=audio), None
