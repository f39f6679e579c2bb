"""A live `ltxserve serve` (fake runner) on 127.0.0.1, shared by the official clients' tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_server import LiveServer, start_server, stop_server


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("live") / "data")
    yield server
    stop_server(server)
