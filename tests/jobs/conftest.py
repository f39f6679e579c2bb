"""One fixture for every queue behaviour test, parametrised over the backends, with a clock tests move."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ltxserve.jobs.postgres.queue import PostgresQueue
from ltxserve.jobs.queue import JobQueue
from ltxserve.jobs.store import JobStore

from .queue_backends import FakeClock, OpenQueue


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["sqlite", "postgres"])
def open_queue(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[OpenQueue]:
    """Opens a queue on the backend under test (the same database each call: reopening is a restart)."""
    opened: list[JobQueue] = []
    url = request.getfixturevalue("database_url") if request.param == "postgres" else None

    def open_(retention_s: int = 3600) -> JobQueue:
        queue: JobQueue
        if url is None:
            queue = JobStore(tmp_path / "jobs.sqlite3", retention_s, clock=clock)
        else:
            queue = PostgresQueue(url, retention_s, lease_s=30, clock=clock, pool_size=4)
        opened.append(queue)
        return queue

    yield open_
    for queue in opened:
        queue.close()


@pytest.fixture
def store(open_queue: OpenQueue) -> JobQueue:
    return open_queue()
