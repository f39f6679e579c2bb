"""Decode any image input to (H, W, 3) uint8 RGB, refusing decompression bombs before decoding."""

from __future__ import annotations

import warnings
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ltxserve.media.errors import MediaError
from ltxserve.media.limits import DEFAULT_LIMITS, MediaLimits
from ltxserve.media.source import MediaSource, open_source

# The documented input formats; Pillow can open more (PSD, ICO, ...), which we refuse explicitly.
SUPPORTED_IMAGE_FORMATS = frozenset({"PNG", "JPEG", "MPO", "WEBP", "GIF", "BMP", "TIFF"})
# Transparent pixels become white: the convention of browsers and of most image-to-video front ends.
ALPHA_BACKGROUND = (255, 255, 255)


def decode_image(
    data: MediaSource, *, field: str = "image_url", limits: MediaLimits = DEFAULT_LIMITS
) -> np.ndarray:
    """Decode the first frame, apply EXIF orientation, flatten alpha on white → (H, W, 3) uint8."""
    with open_source(data, field=field, max_bytes=limits.max_input_bytes) as source:
        image = _open_checked(source, field=field, limits=limits)
        try:
            image.seek(0)  # GIF, animated WebP and multi-page TIFF: the first frame only
            image.load()
            image = ImageOps.exif_transpose(image)
            rgb = _to_rgb(image)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            raise MediaError(
                "image_load_error", f"the image could not be decoded ({exc})", field=field
            ) from exc
    return np.asarray(rgb, dtype=np.uint8)


def _open_checked(source: BinaryIO, *, field: str, limits: MediaLimits) -> Image.Image:
    """Open lazily (header only) and check format and pixel count before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source, formats=None)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_large(field, limits, None) from exc
    except UnidentifiedImageError as exc:
        raise MediaError("unsupported_image_format", "not a recognised image file", field=field) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise MediaError(
            "image_load_error", f"the image header could not be read ({exc})", field=field
        ) from exc
    if image.format not in SUPPORTED_IMAGE_FORMATS:
        raise MediaError(
            "unsupported_image_format",
            f"{image.format} images are not supported",
            field=field,
            ctx={"supported_formats": sorted(SUPPORTED_IMAGE_FORMATS - {"MPO"})},
        )
    width, height = image.size
    if width * height > limits.max_image_pixels:
        raise _too_large(field, limits, (width, height))
    if min(width, height) < limits.min_image_side:
        raise MediaError(
            "image_too_small",
            f"the image is {width}×{height}; each side must be at least {limits.min_image_side} pixels",
            field=field,
            ctx={"min_width": limits.min_image_side, "min_height": limits.min_image_side},
        )
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any mode → RGB: 16-bit grey scaled (not clipped), palette/alpha flattened on ALPHA_BACKGROUND."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # Pillow's own conversion clips 16-bit values at 255; scale them down instead.
        grey = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or grey.max() > 255 else 255.0
        image = Image.fromarray(np.clip(grey / peak * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    elif image.mode == "F":
        image = Image.fromarray(np.clip(np.asarray(image) * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (*ALPHA_BACKGROUND, 255))
        flat.alpha_composite(rgba)
        return flat.convert("RGB")
    return image.convert("RGB")


def _too_large(field: str, limits: MediaLimits, size: tuple[int, int] | None) -> MediaError:
    got = f"the image is {size[0]}×{size[1]}" if size else "the image declares too many pixels"
    return MediaError(
        "image_too_large",
        f"{got}; the limit is {limits.max_image_pixels} pixels",
        field=field,
        ctx={"max_pixels": limits.max_image_pixels},
    )
