"""video_quality and video_write_mode do what they say: size grows with quality, shrinks fast → small."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ltxserve.media import CONTAINERS, QUALITIES, WRITE_MODES, AudioTrack, encode_video, video_settings

from .media_assets import tone

OUTPUT_TYPES = list(CONTAINERS)


def _size(tmp_path: Path, frames: np.ndarray, output_type: str, quality: str, write_mode: str) -> int:
    path = tmp_path / f"{quality}-{write_mode}{CONTAINERS[output_type].extension}"
    audio = AudioTrack(tone(1.1), 48000)
    info = encode_video(
        path, frames, fps=24, output_type=output_type, quality=quality, write_mode=write_mode, audio=audio
    )
    assert info.num_frames == len(frames)
    return info.file_size


@pytest.mark.parametrize("output_type", OUTPUT_TYPES)
def test_file_size_strictly_grows_with_quality(tmp_path: Path, frames: np.ndarray, output_type: str) -> None:
    sizes = [_size(tmp_path, frames, output_type, quality, "balanced") for quality in QUALITIES]
    assert sizes == sorted(sizes), dict(zip(QUALITIES, sizes, strict=True))
    assert len(set(sizes)) == len(sizes), dict(zip(QUALITIES, sizes, strict=True))


@pytest.mark.parametrize("output_type", OUTPUT_TYPES)
def test_file_size_strictly_shrinks_from_fast_to_small(
    tmp_path: Path, frames: np.ndarray, output_type: str
) -> None:
    sizes = [_size(tmp_path, frames, output_type, "high", mode) for mode in WRITE_MODES]
    assert sizes == sorted(sizes, reverse=True), dict(zip(WRITE_MODES, sizes, strict=True))
    assert len(set(sizes)) == 3, dict(zip(WRITE_MODES, sizes, strict=True))


def test_quality_grows_in_every_write_mode_for_h264(tmp_path: Path, frames: np.ndarray) -> None:
    for mode in ("fast", "small"):
        sizes = [_size(tmp_path, frames, "X264 (.mp4)", quality, mode) for quality in QUALITIES]
        assert sizes == sorted(sizes), (mode, sizes)
        assert len(set(sizes)) == 4, (mode, sizes)


def test_settings_table_covers_every_combination() -> None:
    for output_type in OUTPUT_TYPES:
        for quality in QUALITIES:
            for mode in WRITE_MODES:
                assert video_settings(output_type, quality, mode) is not None
    with pytest.raises(KeyError):
        video_settings("X264 (.mp4)", "ultra", "balanced")  # type: ignore[arg-type]
