"""Sizes and frame counts on LTX-2.3's grids: presets, custom sizes, auto, 8k+1 frames."""

import pytest

from ltxserve.endpoints import sizes
from ltxserve.engine.geometry import LatentScales


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("landscape_16_9", (1280, 704)),
        ("portrait_16_9", (704, 1280)),
        ("landscape_4_3", (1024, 768)),
        ("portrait_4_3", (768, 1024)),
        ("square_hd", (1024, 1024)),
        ("square", (512, 512)),
    ],
)
@pytest.mark.parametrize("two_stage", [False, True])
def test_presets_are_the_same_with_and_without_two_stage(preset, expected, two_stage):
    width, height = sizes.resolve_size(preset, two_stage=two_stage)
    assert (width, height) == expected
    assert width % 64 == 0
    assert height % 64 == 0


@pytest.mark.parametrize(
    ("size", "two_stage", "expected"),
    [
        ((1280, 720), False, (1280, 704)),  # 22.5 x 32: halves round down
        ((1280, 720), True, (1280, 704)),
        ((1248, 704), False, (1248, 704)),
        ((1248, 704), True, (1216, 704)),  # 19.5 x 64: halves round down
        ((1000, 500), False, (992, 512)),
        ((1000, 500), True, (1024, 512)),
        ((64, 64), True, (64, 64)),
        ((70, 90), False, (64, 96)),
    ],
)
def test_custom_sizes_round_to_nearest_multiple(size, two_stage, expected):
    assert sizes.resolve_size(size, two_stage=two_stage) == expected


def test_auto_without_image_is_the_landscape_fallback():
    assert sizes.resolve_size("auto", two_stage=False) == (1280, 704)
    assert sizes.resolve_size("auto", two_stage=True) == (1280, 704)


def test_auto_fit_keeps_small_images_and_shrinks_large_ones():
    assert sizes.resolve_size("auto", two_stage=False, image_size=(768, 512)) == (768, 512)
    width, height = sizes.resolve_size("auto", two_stage=True, image_size=(4000, 3000))
    assert width * height <= 1.1 * sizes.FALLBACK_AREA
    assert abs(width / height - 4 / 3) < 0.05
    assert width % 64 == 0
    assert height % 64 == 0


def test_auto_aspect_scales_to_the_fallback_area():
    width, height = sizes.resolve_size("auto", two_stage=True, image_size=(300, 400), auto_policy="aspect")
    assert (width, height) == (832, 1088)  # 3:4 at ~1280x704's pixel count
    assert abs(width * height / sizes.FALLBACK_AREA - 1) < 0.15


@pytest.mark.parametrize(
    ("frames", "expected"),
    [(121, 121), (9, 9), (481, 481), (100, 97), (101, 105), (125, 129), (124.9, 121), (1, 9), (1000, 481)],
)
def test_frames_round_to_8k_plus_1_within_range(frames, expected):
    assert sizes.round_frames(frames) == expected
    assert (expected - 1) % 8 == 0


def test_frames_for_audio():
    assert sizes.frames_for_audio(5.0, 24) == 121  # 120 frames -> nearest 8k+1
    assert sizes.frames_for_audio(3.0, 24) == 73
    assert sizes.frames_for_audio(0.1, 24) == 9  # never below the minimum
    assert sizes.frames_for_audio(60.0, 24) == 481  # capped at the endpoint's maximum


def test_model_grid_check_accepts_ltx23_and_names_a_mismatch() -> None:
    sizes.check_model_grid(LatentScales(temporal=8, spatial=32, audio_per_second=25.0))
    with pytest.raises(ValueError, match="compresses 16x in space and 8x in time"):
        sizes.check_model_grid(LatentScales(temporal=8, spatial=16, audio_per_second=25.0))


def test_the_grid_is_the_presets_vae_compression() -> None:
    """The sizes' 8k+1 frames and 32-pixel grid come from LTX-2.3's config, not constants of their own."""
    assert (sizes.FRAME_STRIDE, sizes.SPATIAL_STRIDE) == (8, 32)
    assert sizes.MODEL_SCALES.audio_per_second == 25.0


def test_the_tiny_model_reads_its_compression_from_its_config(tiny_engine) -> None:
    scales = tiny_engine.parts.scales
    assert (scales.spatial, scales.temporal) == (sizes.SPATIAL_STRIDE, sizes.FRAME_STRIDE)
    assert scales.audio_per_second == 25.0


def test_every_size_preset_of_the_schema_has_a_size() -> None:
    from typing import get_args

    from ltxserve.endpoints.common import SizePreset

    assert tuple(sizes.PRESET_SIZES) == get_args(SizePreset)
