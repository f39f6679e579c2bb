"""The durable queue: order, priorities, leases, exactly-once results, cancellation, deadlines, retention."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ltxserve.jobs.records import CANCELLED, NewJob
from ltxserve.jobs.store import JobStore

pytestmark = pytest.mark.timeout(30)
APP = "fal-ai/ltx-2.3-quality/text-to-audio"


def _job(request_id: str, **kw: object) -> NewJob:
    return NewJob(request_id=request_id, endpoint_id=APP, owner="o", input={"prompt": request_id}, **kw)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "jobs.sqlite3", retention_s=3600)


def test_fifo_with_low_priority_last_and_positions(store: JobStore) -> None:
    store.submit(_job("a"))
    store.submit(_job("low", priority="low"))
    store.submit(_job("b"))
    assert [store.queue_position(r) for r in ("a", "b", "low")] == [0, 1, 2]
    claimed = [store.claim("w", 10) for _ in range(3)]
    assert [j.request_id for j in claimed if j] == ["a", "b", "low"]
    assert store.claim("w", 10) is None


def test_submitted_jobs_survive_reopening_the_store(tmp_path: Path) -> None:
    JobStore(tmp_path / "db").submit(_job("a"))
    reopened = JobStore(tmp_path / "db")
    job = reopened.claim("w", 10)
    assert job is not None and job.input == {"prompt": "a"}


def test_expired_lease_is_rerun_and_only_the_new_owner_can_finish(store: JobStore) -> None:
    store.submit(_job("a"))
    first = store.claim("dead", lease_s=0.05)
    assert first is not None and first.attempts == 1
    assert store.claim("live", 10) is None  # lease still valid
    time.sleep(0.1)
    again = store.claim("live", 10)
    assert again is not None and again.request_id == "a" and again.attempts == 2
    assert store.complete("a", "dead", {"x": 1}) is False  # the stale worker's result is refused
    assert store.complete("a", "live", {"x": 2}) is True
    assert store.complete("a", "live", {"x": 3}) is False  # exactly once
    done = store.get("a")
    assert done and done.status == "COMPLETED" and done.result == {"x": 2}
    assert done.inference_time is not None


def test_heartbeat_keeps_the_lease(store: JobStore) -> None:
    store.submit(_job("a"))
    store.claim("w", lease_s=0.2)
    for _ in range(3):
        time.sleep(0.1)
        assert store.heartbeat("a", "w", 0.2).owned
    assert store.claim("other", 10) is None


def test_cancel_queued_at_once_and_running_by_flag(store: JobStore) -> None:
    store.submit(_job("q"))
    store.submit(_job("r"))
    assert store.request_cancel("q") == "cancelled"
    q = store.get("q")
    assert q and q.status == "COMPLETED" and q.outcome == "cancelled" and q.failure == CANCELLED
    running = store.claim("w", 10)
    assert running and running.request_id == "r"
    assert store.request_cancel("r") == "requested"
    assert store.heartbeat("r", "w", 10).cancel_requested
    assert store.fail("r", "w", CANCELLED, outcome="cancelled")
    assert store.request_cancel("r") == "already_completed"
    assert store.request_cancel("missing") == "not_found"


def test_start_deadline_fails_a_job_still_queued(store: JobStore) -> None:
    store.submit(_job("a", start_timeout_s=0.05))
    time.sleep(0.1)
    job = store.get("a")
    assert job and job.status == "COMPLETED" and job.failure is not None
    assert job.failure.status_code == 504 and job.failure.headers["x-fal-request-timeout-type"] == "user"
    assert store.claim("w", 10) is None


def test_webhook_queued_with_completion_and_kept_until_delivered(store: JobStore) -> None:
    store.submit(_job("a", webhook_url="http://127.0.0.1:9/hook"))
    store.claim("w", 10)
    store.complete("a", "w", {"audio": {"url": "u"}})
    [delivery] = store.due_webhooks()
    assert json.loads(delivery.body) == {
        "request_id": "a",
        "gateway_request_id": "a",
        "status": "OK",
        "payload": {"audio": {"url": "u"}},
    }
    assert store.due_webhooks() == []  # held while in flight
    store.webhook_attempted(delivery.id, "HTTP 500", retry_at=time.time())
    assert [d.id for d in store.due_webhooks()] == [delivery.id]
    store.webhook_attempted(delivery.id, None, None)
    assert store.webhook_states("a") == [("delivered", 2)]


def test_retention_purges_finished_jobs(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db", retention_s=0)
    store.submit(_job("a"))
    store.claim("w", 10)
    store.complete("a", "w", {})
    time.sleep(0.01)
    assert store.purge_expired() == ["a"]
    assert store.get("a") is None


def test_progress_lines_are_logged_and_counted(store: JobStore) -> None:
    store.submit(_job("a"))
    store.add_log("a", "denoise: step 1/2", step=True)
    assert [line.message for line in store.logs("a")] == ["denoise: step 1/2"]
    assert store.stats()["steps"] == 1


def test_recent_lists_only_the_owners_jobs_newest_first(store: JobStore) -> None:
    store.submit(_job("a"))
    store.submit(NewJob(request_id="other", endpoint_id=APP, owner="someone-else", input={}))
    store.submit(NewJob(request_id="b", endpoint_id="fal-ai/ltx-2.3-22b/audio-to-video", owner="o", input={}))
    store.submit(_job("c"))
    store.request_cancel("c")
    assert [j.request_id for j in store.recent("o")] == ["c", "b", "a"]
    assert [j.request_id for j in store.recent("o", limit=2)] == ["c", "b"]
    assert [j.request_id for j in store.recent("o", endpoint_id=APP)] == ["c", "a"]
    assert store.recent("o")[0].outcome == "cancelled"
    assert store.recent("nobody") == []
