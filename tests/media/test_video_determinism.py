"""Equal frames and audio give a byte-identical file, for every output type and at awkward widths."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ltxserve.media import CONTAINERS, AudioTrack, encode_video

from .media_assets import moving_frames, tone

RUNS = 8


@pytest.mark.parametrize("output_type", list(CONTAINERS))
@pytest.mark.parametrize("width", [64, 192])  # not multiples of 128 px: where x264's AVX-512 mbtree varied
def test_same_input_encodes_to_the_same_bytes_every_time(
    tmp_path: Path, output_type: str, width: int
) -> None:
    frames = moving_frames(17, width=width, height=64, seed=4)
    audio = AudioTrack(tone(0.8), 48000)
    digests = set()
    for run in range(RUNS):
        path = tmp_path / f"{run}{CONTAINERS[output_type].extension}"
        encode_video(path, frames, fps=24, output_type=output_type, audio=audio)
        digests.add(hashlib.sha256(path.read_bytes()).hexdigest())
    assert len(digests) == 1, f"{len(digests)} different files from {RUNS} encodes of the same input"
