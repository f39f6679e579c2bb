"""What the PostgreSQL backend adds: procrastinate carries the queue, stalled workers are retried, migrations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from typer.testing import CliRunner

from ltxserve.cli import app
from ltxserve.jobs.backends import open_queue
from ltxserve.jobs.postgres.dispatch import queue_name
from ltxserve.jobs.postgres.queue import ORPHAN_AGE_S, PostgresQueue
from ltxserve.jobs.postgres.schema import SchemaOutdated
from ltxserve.jobs.records import CANCELLED, NewJob
from ltxserve.settings import Settings

from .queue_backends import FakeClock

pytestmark = pytest.mark.timeout(60)
APP = "fal-ai/ltx-2.3-quality/audio-to-video/lora"  # longer than a queue name may be


@pytest.fixture
def queue(database_url: str, clock: FakeClock) -> Iterator[PostgresQueue]:
    q = PostgresQueue(database_url, 3600, lease_s=30, clock=clock, pool_size=4)
    yield q
    q.close()


def _entries(url: str) -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT id, queue_name, priority, queueing_lock, status::text, abort_requested"
            " FROM procrastinate_jobs ORDER BY id"
        ).fetchall()


def _job(request_id: str, **kw: Any) -> NewJob:
    return NewJob(request_id=request_id, endpoint_id=APP, owner="o", input={}, **kw)


def test_procrastinate_holds_one_entry_per_request_on_its_endpoints_queue(
    queue: PostgresQueue, database_url: str
) -> None:
    queue.submit(_job("a"))
    queue.submit(_job("low", priority="low"))
    [a, low] = _entries(database_url)
    assert (a["queue_name"], a["queueing_lock"], a["status"], a["priority"]) == (
        queue_name(APP),
        "a",
        "todo",
        0,
    )
    assert low["priority"] < a["priority"]
    queue._defer("a", APP, 0)  # a retried defer meets the queueing lock: still one entry
    assert len(_entries(database_url)) == 2
    assert queue.claim("w", 10) is not None
    assert queue.complete("a", "w", {"ok": True})
    assert _entries(database_url)[0]["status"] == "succeeded"


def test_cancel_of_a_running_job_is_procrastinates_cooperative_abort(
    queue: PostgresQueue, database_url: str
) -> None:
    queue.submit(_job("a"))
    queue.claim("w", 10)
    assert queue.request_cancel("a") == "requested"
    assert _entries(database_url)[0]["abort_requested"] is True
    assert queue.heartbeat("a", "w", 10).cancel_requested
    assert queue.fail("a", "w", CANCELLED, outcome="cancelled")
    assert _entries(database_url)[0]["status"] == "aborted"


def test_a_worker_without_heartbeats_has_its_job_retried_by_the_periodic_retrier(
    queue: PostgresQueue, database_url: str
) -> None:
    queue.submit(_job("a"))
    assert queue.claim("dead", 10) is not None
    with psycopg.connect(database_url) as conn:  # the worker's host vanished an hour ago
        conn.execute("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'")
    assert queue.recover() == 1
    again = queue.claim("live", 10)
    assert again is not None
    assert again.attempts == 2
    assert again.lease_owner == "live"
    assert queue.complete("a", "dead", {}) is False
    assert queue.complete("a", "live", {"x": 1}) is True
    assert [e["status"] for e in _entries(database_url)] == ["succeeded"]


def test_a_record_whose_api_died_before_queueing_is_queued_by_the_retrier(
    queue: PostgresQueue, database_url: str, clock: FakeClock
) -> None:
    with queue.pool.connection() as conn:  # what an API host killed between insert and defer leaves
        conn.execute(
            "INSERT INTO ltxserve_jobs (request_id, endpoint_id, owner, input, status, created_at)"
            " VALUES ('orphan', %s, 'o', '{}', 'IN_QUEUE', %s)",
            (APP, clock()),
        )
    assert queue.claim("w", 10) is None  # too young: its submit may still be running
    clock.advance(ORPHAN_AGE_S + 1)
    job = queue.claim("w", 10)
    assert job is not None
    assert job.request_id == "orphan"
    assert len(_entries(database_url)) == 1


def test_an_unmigrated_database_is_refused_until_db_migrate(postgres: Any) -> None:
    url = postgres.create_database("empty_for_migrate")
    with pytest.raises(SchemaOutdated, match="ltxserve db migrate"):
        PostgresQueue(url)
    with pytest.raises(SystemExit, match="run `ltxserve db migrate` first"):  # what `api`/`worker` print
        open_queue(Settings(database_url=url))
    runner = CliRunner()
    first = runner.invoke(app, ["db", "migrate", "--database-url", url])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["db", "migrate", "--database-url", url])
    assert again.exit_code == 0
    assert "up to date" in again.output
    PostgresQueue(url).close()
