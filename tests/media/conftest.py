"""Fixtures for the media tests: assets are generated once per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .media_assets import moving_frames, speech_in_every_format


@pytest.fixture(scope="session")
def speech_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return speech_in_every_format(tmp_path_factory.mktemp("speech"))


@pytest.fixture(scope="session")
def frames() -> np.ndarray:
    """25 frames at 256×160: small enough for a fast suite, detailed enough for size comparisons."""
    return moving_frames()
