"""Fit a decoded image to a generation size (cover and crop, then Lanczos)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps


def fit_image(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Cover-and-crop: centre-crop to the target aspect, then Lanczos-resize to exactly width×height."""
    if pixels.shape[1] == width and pixels.shape[0] == height:
        return pixels
    # ImageOps.fit crops the largest centred box with the target aspect, then resizes (no letterbox,
    # no distortion); cropping first also keeps the resize as small as possible.
    fitted = ImageOps.fit(Image.fromarray(pixels), (width, height), method=Image.Resampling.LANCZOS)
    return np.asarray(fitted, dtype=np.uint8)
