"""Worker processes started by `serve` read the server's settings back from `LTXSERVE_*` variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltxserve.settings import Settings, settings_env


def test_settings_round_trip_through_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = Settings(
        data_dir=tmp_path,
        api_keys=["key-one-0123456789", "id:key-two-0123456789"],
        fetch_allow_hosts=["127.0.0.1", "files.internal"],
        runner="fake",
        workers=2,
    )
    for name, value in settings_env(original).items():
        monkeypatch.setenv(name, value)
    assert Settings() == original
