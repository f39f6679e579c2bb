"""Bounds on what the decoders accept; the settings object carries one of these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaLimits:
    """Input limits; each one maps to a fal error type when exceeded."""

    # 100 MB matches fal's single-request upload limit; anything bigger is not a conditioning input.
    max_input_bytes: int = 100 * 1024 * 1024
    # 64 MP covers 8K photos (8192×7680) and stops decompression bombs long before memory is at risk.
    max_image_pixels: int = 64 * 1024 * 1024
    # Below this the image has too little detail to condition even the smallest output size.
    min_image_side: int = 64
    # The model caps out at 481 frames (about 20 s at 24 fps); ten minutes leaves room for trimming.
    max_audio_seconds: float = 600.0
    # extend-video's source is held decoded (RGB) for the stitch: 2^29 pixel-frames is 1.6 GB, about
    # 11 s of 1080p or 24 s of 720p at 24 fps.
    max_video_pixel_frames: int = 2**29


DEFAULT_LIMITS = MediaLimits()
