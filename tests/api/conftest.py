"""Fixtures for the API tests (helpers live in `api_harness`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ltxserve.api.main import create_app

from .api_harness import Harness, make_settings


@pytest.fixture
def make_harness(tmp_path: Path) -> Iterator[Any]:
    made: list[Harness] = []

    def make(workers: int = 1, **overrides: Any) -> Harness:
        settings = make_settings(tmp_path, **overrides)
        client = TestClient(create_app(settings))
        client.__enter__()
        harness = Harness(settings, client)
        for _ in range(workers):
            harness.start_worker()
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.stop.set()
        for thread in harness.threads:
            thread.join(timeout=5)
        harness.client.__exit__(None, None, None)


@pytest.fixture
def harness(make_harness: Any) -> Harness:
    return make_harness()
