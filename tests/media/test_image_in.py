"""Image inputs: every format, EXIF orientation, alpha, colour modes, fitting and the CRF-33 round trip."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ltxserve.arrays.image import fit_image
from ltxserve.media import auto_size_from_aspect, decode_image, recompress_like_reference

from .media_assets import gradient_image, image_bytes

LOSSLESS = [("PNG", {}), ("WEBP", {"lossless": True}), ("BMP", {}), ("TIFF", {})]
LOSSY = [("JPEG", {"quality": 95}), ("WEBP", {"quality": 95})]


@pytest.mark.parametrize(("fmt", "options"), LOSSLESS)
def test_lossless_formats_decode_exactly(fmt: str, options: dict) -> None:
    image = gradient_image()
    pixels = decode_image(image_bytes(image, fmt, **options), field="image_url")
    assert pixels.shape == (200, 320, 3)
    assert pixels.dtype == np.uint8
    np.testing.assert_array_equal(pixels, np.asarray(image))


@pytest.mark.parametrize(("fmt", "options"), LOSSY)
def test_lossy_formats_decode_close(fmt: str, options: dict) -> None:
    image = gradient_image()
    pixels = decode_image(image_bytes(image, fmt, **options))
    assert np.abs(pixels.astype(int) - np.asarray(image)).mean() < 3


def test_gif_first_frame_is_used() -> None:
    red = Image.new("RGB", (100, 80), (255, 0, 0))
    blue = Image.new("RGB", (100, 80), (0, 0, 255))
    data = image_bytes(red, "GIF", save_all=True, append_images=[blue], duration=100)
    pixels = decode_image(data)
    assert tuple(pixels[40, 50]) == (255, 0, 0)


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF", "WEBP", "PNG"])
def test_exif_orientation_is_applied(fmt: str) -> None:
    # A landscape image marked "rotate 90° CW to display" (orientation 6) must come out portrait.
    image = gradient_image(320, 200)
    exif = Image.Exif()
    exif[0x0112] = 6
    pixels = decode_image(image_bytes(image, fmt, exif=exif))
    assert pixels.shape == (320, 200, 3)
    # The top-left corner shown is the source's bottom-left (green high, red low).
    assert pixels[2, 2, 1] > 200
    assert pixels[2, 2, 0] < 40


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_alpha_is_flattened_on_white(fmt: str) -> None:
    options = {"lossless": True} if fmt == "WEBP" else {}
    pixels = decode_image(image_bytes(gradient_image(alpha=True), fmt, **options))
    assert pixels.shape == (200, 320, 3)
    assert (pixels[:, :150] == 255).all()  # fully transparent half → white
    np.testing.assert_array_equal(pixels[:, 200:], np.asarray(gradient_image())[:, 200:])


@pytest.mark.parametrize("mode", ["L", "LA", "P", "CMYK", "1", "I;16", "I", "F", "RGBA"])
def test_every_colour_mode_becomes_rgb(mode: str) -> None:
    base = gradient_image()
    if mode == "I;16":
        image = Image.fromarray(np.asarray(base.convert("L")).astype(np.uint16) * 257)
    elif mode in ("I", "F"):
        image = base.convert("L").convert(mode)
        if mode == "F":
            image = Image.fromarray(np.asarray(image, np.float32) / 255.0, "F")
    else:
        image = base.convert(mode)
    fmt = "TIFF" if mode in ("CMYK", "I;16", "I", "F") else "PNG"
    pixels = decode_image(image_bytes(image, fmt))
    assert pixels.shape == (200, 320, 3)
    assert pixels.dtype == np.uint8
    if mode in ("L", "I;16", "I", "F"):
        # Grey levels survive, whatever the bit depth: no clipping of 16-bit values at 255.
        np.testing.assert_allclose(pixels[..., 0], np.asarray(base.convert("L")), atol=1)


def test_palette_transparency_is_flattened() -> None:
    image = gradient_image(alpha=True).convert("P")  # palette with a transparent index
    image.info["transparency"] = 0
    pixels = decode_image(image_bytes(image, "GIF"))
    assert pixels.shape == (200, 320, 3)


def test_fit_image_covers_and_centre_crops() -> None:
    # 400×200 (2:1) into 100×100: the centre square 100..300 scaled by 1/2.
    source = np.zeros((200, 400, 3), np.uint8)
    source[:, :100] = 255  # a white band left, outside the centre crop
    source[:, 100:300, 1] = 200
    fitted = fit_image(source, 100, 100)
    assert fitted.shape == (100, 100, 3)
    assert fitted[:, 2:-2, 0].max() < 30
    assert abs(int(fitted[50, 50, 1]) - 200) <= 2


def test_fit_image_upscales_small_inputs_and_keeps_exact_sizes() -> None:
    source = np.asarray(gradient_image(160, 90))
    assert fit_image(source, 1280, 704).shape == (704, 1280, 3)
    assert fit_image(source, 160, 90) is source


def test_recompress_like_reference_is_a_lossy_round_trip() -> None:
    pixels = np.asarray(gradient_image(320, 192)).copy()
    pixels[::7, ::5] = 255  # fine detail that CRF 33 smooths away
    out = recompress_like_reference(pixels)
    assert out.shape == pixels.shape
    assert out.dtype == np.uint8
    error = np.abs(out.astype(int) - pixels).mean()
    assert 0.5 < error < 20
    assert recompress_like_reference(pixels, crf=0) is pixels


def test_recompress_keeps_odd_sizes() -> None:
    assert recompress_like_reference(np.asarray(gradient_image(101, 67))).shape == (67, 101, 3)


@pytest.mark.parametrize(
    ("size", "expected_aspect"),
    [((1920, 1080), 16 / 9), ((1080, 1920), 9 / 16), ((1000, 1000), 1.0), ((4000, 3000), 4 / 3)],
)
def test_auto_size_follows_the_image_aspect(size: tuple[int, int], expected_aspect: float) -> None:
    width, height = auto_size_from_aspect(*size)
    assert width % 32 == 0
    assert height % 32 == 0
    assert width / height == pytest.approx(expected_aspect, rel=0.06)
    assert width * height == pytest.approx(1280 * 720, rel=0.08)
