"""The durable queue: order, priorities, leases, exactly-once results, cancellation, deadlines, retention."""

from __future__ import annotations

import json

import pytest

from ltxserve.jobs.queue import JobQueue
from ltxserve.jobs.records import CANCELLED, NewJob

from .queue_backends import FakeClock, OpenQueue

pytestmark = pytest.mark.timeout(30)
APP = "fal-ai/ltx-2.3-quality/text-to-audio"


def _job(request_id: str, **kw: object) -> NewJob:
    return NewJob(request_id=request_id, endpoint_id=APP, owner="o", input={"prompt": request_id}, **kw)  # type: ignore[arg-type]


def test_fifo_with_low_priority_last_and_positions(store: JobQueue) -> None:
    store.submit(_job("a"))
    store.submit(_job("low", priority="low"))
    store.submit(_job("b"))
    assert [store.queue_position(r) for r in ("a", "b", "low")] == [0, 1, 2]
    claimed = [store.claim("w", 10) for _ in range(3)]
    assert [j.request_id for j in claimed if j] == ["a", "b", "low"]
    assert store.claim("w", 10) is None


def test_submitted_jobs_survive_reopening_the_store(open_queue: OpenQueue) -> None:
    open_queue().submit(_job("a"))
    reopened = open_queue()
    job = reopened.claim("w", 10)
    assert job is not None
    assert job.input == {"prompt": "a"}


def test_expired_lease_is_rerun_and_only_the_new_owner_can_finish(store: JobQueue, clock: FakeClock) -> None:
    store.submit(_job("a"))
    first = store.claim("dead", lease_s=5)
    assert first is not None
    assert first.attempts == 1
    clock.advance(4)
    assert store.claim("live", 10) is None  # lease still valid
    clock.advance(2)
    again = store.claim("live", 10)
    assert again is not None
    assert again.request_id == "a"
    assert again.attempts == 2
    assert store.complete("a", "dead", {"x": 1}) is False  # the stale worker's result is refused
    assert store.complete("a", "live", {"x": 2}) is True
    assert store.complete("a", "live", {"x": 3}) is False  # exactly once
    done = store.get("a")
    assert done
    assert done.status == "COMPLETED"
    assert done.result == {"x": 2}
    assert done.inference_time is not None


def test_heartbeat_keeps_the_lease(store: JobQueue, clock: FakeClock) -> None:
    store.submit(_job("a"))
    store.claim("w", lease_s=2)
    for _ in range(5):
        clock.advance(1.5)
        assert store.heartbeat("a", "w", 2).owned
    assert store.claim("other", 10) is None
    clock.advance(3)  # the worker went silent
    assert store.claim("other", 10) is not None
    assert not store.heartbeat("a", "w", 2).owned


def test_cancel_queued_at_once_and_running_by_flag(store: JobQueue) -> None:
    store.submit(_job("q"))
    store.submit(_job("r"))
    assert store.request_cancel("q") == "cancelled"
    q = store.get("q")
    assert q
    assert q.status == "COMPLETED"
    assert q.outcome == "cancelled"
    assert q.failure == CANCELLED
    running = store.claim("w", 10)
    assert running
    assert running.request_id == "r"
    assert store.request_cancel("r") == "requested"
    assert store.heartbeat("r", "w", 10).cancel_requested
    assert store.fail("r", "w", CANCELLED, outcome="cancelled")
    assert store.request_cancel("r") == "already_completed"
    assert store.request_cancel("missing") == "not_found"


def test_start_deadline_fails_a_job_still_queued(store: JobQueue, clock: FakeClock) -> None:
    store.submit(_job("a", start_timeout_s=5))
    clock.advance(4)
    assert store.get("a").status == "IN_QUEUE"  # type: ignore[union-attr]
    clock.advance(2)
    job = store.get("a")
    assert job
    assert job.status == "COMPLETED"
    assert job.failure is not None
    assert job.failure.status_code == 504
    assert job.failure.headers["x-fal-request-timeout-type"] == "user"
    assert store.claim("w", 10) is None


def test_webhook_queued_with_completion_and_kept_until_delivered(store: JobQueue, clock: FakeClock) -> None:
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
    store.webhook_attempted(delivery.id, "HTTP 500", retry_at=clock() + 30)
    assert store.due_webhooks() == []  # not before its retry time
    clock.advance(31)
    assert [d.id for d in store.due_webhooks()] == [delivery.id]
    store.webhook_attempted(delivery.id, None, None)
    assert store.webhook_states("a") == [("delivered", 2)]


def test_retention_purges_finished_jobs(open_queue: OpenQueue, clock: FakeClock) -> None:
    store = open_queue(retention_s=60)
    store.submit(_job("a"))
    store.claim("w", 10)
    store.complete("a", "w", {})
    clock.advance(59)
    assert store.purge_expired() == []
    clock.advance(2)
    assert store.purge_expired() == ["a"]
    assert store.get("a") is None


def test_progress_lines_are_logged_and_counted(store: JobQueue) -> None:
    store.submit(_job("a"))
    store.add_log("a", "denoise: step 1/2", step=True)
    assert [line.message for line in store.logs("a")] == ["denoise: step 1/2"]
    assert store.stats()["steps"] == 1


def test_recent_lists_only_the_owners_jobs_newest_first(store: JobQueue) -> None:
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


def test_workers_claim_only_the_endpoints_they_serve(store: JobQueue) -> None:
    other = "fal-ai/ltx-2.3-22b/audio-to-video"
    store.submit(_job("audio"))
    store.submit(NewJob(request_id="video", endpoint_id=other, owner="o", input={}))
    assert store.claim("w", 10, endpoints=[]) is None
    video = store.claim("w", 10, endpoints=[other])
    assert video is not None
    assert video.request_id == "video"
    assert store.claim("w", 10, endpoints=[other]) is None  # "audio" waits for a worker that serves it
    audio = store.claim("w2", 10, endpoints=[APP, other])
    assert audio is not None
    assert audio.request_id == "audio"
    store.worker_state("w", 1, "cpu", "ready", None, [other])
    assert [w["endpoints"] for w in store.workers()] == [[other]]
