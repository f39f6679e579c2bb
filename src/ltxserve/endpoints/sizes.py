"""Output sizes and frame counts: fal's size presets and free sizes, rounded as LTX-2.3 needs."""

from __future__ import annotations

import math
from typing import Literal

from ltxserve.engine.geometry import LatentScales
from ltxserve.engine.loading.module_configs import latent_scales
from ltxserve.engine.loading.preset import LTX23_22B_CONFIG

# fal's preset sizes already lie on LTX's 64-pixel grid, except that for 16:9 the hosted LTX service
# renders near 1250x704 (it reports 1248x704) instead of 1024x576: we use LTX's canonical 1280x704.
# All entries are multiples of 64, so a preset gives the same size with and without two-stage runs.
# (width, height)
PRESET_SIZES: dict[str, tuple[int, int]] = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (704, 1280),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1280, 704),
}
# What `auto` falls back to without an image, and the pixel budget an image-derived size is held to.
FALLBACK_PRESET = "landscape_16_9"
FALLBACK_AREA = PRESET_SIZES[FALLBACK_PRESET][0] * PRESET_SIZES[FALLBACK_PRESET][1]

# The video VAE compresses 8x in time (frame counts are 8k+1) and 32x in space, as LTX-2.3's config states
# (the built-in preset's, engine/loading/preset.py); the two-stage pipeline runs stage 1 at half size, so its
# final size must be a multiple of 64. The published endpoints' rules follow from these factors; a worker
# refuses a checkpoint whose VAE compresses otherwise (`check_model_grid`).
MODEL_SCALES = latent_scales(LTX23_22B_CONFIG)
FRAME_STRIDE = MODEL_SCALES.temporal
SPATIAL_STRIDE = MODEL_SCALES.spatial
MIN_FRAMES, MAX_FRAMES = 9, 481

AutoPolicy = Literal["fit", "aspect"]


def size_multiple(two_stage: bool) -> int:
    """The pixel grid a final size must lie on: 32, or 64 when stage 1 runs at half size."""
    return 2 * SPATIAL_STRIDE if two_stage else SPATIAL_STRIDE


def check_model_grid(scales: LatentScales) -> None:
    """Raise unless a checkpoint's VAE compresses as these sizes assume (read from its config at load)."""
    if (scales.spatial, scales.temporal) != (SPATIAL_STRIDE, FRAME_STRIDE):
        raise ValueError(
            f"the model's video VAE compresses {scales.spatial}x in space and {scales.temporal}x in time; "
            f"the served endpoints' sizes assume {SPATIAL_STRIDE}x and {FRAME_STRIDE}x (LTX-2.3)"
        )


def round_to_multiple(value: float, multiple: int) -> int:
    """Nearest multiple, halves rounding down (1280x720 -> 1280x704), never below one multiple."""
    return max(multiple, math.ceil(value / multiple - 0.5) * multiple)


def round_frames(frames: float, lo: int = MIN_FRAMES, hi: int = MAX_FRAMES) -> int:
    """Nearest 8k+1 frame count (halves round up) within [lo, hi]; lo and hi are themselves 8k+1."""
    k = math.floor((frames - 1) / FRAME_STRIDE + 0.5)
    return min(hi, max(lo, k * FRAME_STRIDE + 1))


def frames_for_audio(duration_s: float, fps: float, lo: int = MIN_FRAMES, hi: int = MAX_FRAMES) -> int:
    """`match_audio_length`: the audio's duration x fps, rounded to 8k+1 within the endpoint's range."""
    return round_frames(duration_s * fps, lo, hi)


def size_from_image(
    image_width: int, image_height: int, policy: AutoPolicy, area: int = FALLBACK_AREA
) -> tuple[float, float]:
    """`auto` with an image: its own size shrunk to `area` ("fit"), or its aspect ratio at `area` ("aspect")."""
    scale = math.sqrt(area / (image_width * image_height))
    if policy == "fit":
        scale = min(1.0, scale)
    return image_width * scale, image_height * scale


def resolve_size(
    size: str | tuple[int, int],
    *,
    two_stage: bool,
    image_size: tuple[int, int] | None = None,
    auto_policy: AutoPolicy = "fit",
    auto_area: int = FALLBACK_AREA,
) -> tuple[int, int]:
    """The (width, height) a request produces: a preset, `auto` or a custom size on the model's grid."""
    width: float
    height: float
    if size == "auto":
        if image_size is None:
            width, height = PRESET_SIZES[FALLBACK_PRESET]
        else:
            width, height = size_from_image(*image_size, policy=auto_policy, area=auto_area)
    elif isinstance(size, str):
        width, height = PRESET_SIZES[size]
    else:
        width, height = size
    multiple = size_multiple(two_stage)
    return round_to_multiple(width, multiple), round_to_multiple(height, multiple)
