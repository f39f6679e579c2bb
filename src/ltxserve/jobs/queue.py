"""The one queue contract the API, the workers and clean-up use; SQLite and PostgreSQL implement it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from ltxserve.jobs.changes import ChangeFeed
from ltxserve.jobs.records import JobFailure, JobRecord, LogLevel, LogLine, NewJob, Outcome, request_error

CancelReply = Literal["cancelled", "requested", "already_completed", "not_found"]
# Seconds since the epoch; injected so tests move time instead of sleeping.
Clock = Callable[[], float]
SYSTEM_CLOCK: Clock = time.time


@dataclass(frozen=True)
class Heartbeat:
    """A lease renewal's answer: whether the worker still owns the job and whether cancel was asked."""

    owned: bool
    cancel_requested: bool


@dataclass(frozen=True)
class WebhookDelivery:
    """One pending webhook POST."""

    id: int
    request_id: str
    url: str
    owner: str
    body: str
    attempts: int


class JobQueue(Protocol):
    """Submit, claim under a lease, heartbeat, finish exactly once, cancel, deadlines, webhooks, retention.

    `endpoints` on `claim` is the set a worker can serve (routing by capability); None serves any.
    """

    retention_s: int
    # Status streams subscribe here instead of polling (in-process + SQLite watcher, or LISTEN/NOTIFY).
    changes: ChangeFeed

    # -- jobs
    def submit(self, job: NewJob) -> JobRecord: ...
    def get(self, request_id: str) -> JobRecord | None: ...
    def queue_position(self, request_id: str) -> int: ...
    def recent(self, owner: str, limit: int = 20, endpoint_id: str | None = None) -> list[JobRecord]: ...
    def claim(
        self, worker_id: str, lease_s: float, endpoints: Collection[str] | None = None
    ) -> JobRecord | None: ...
    def heartbeat(self, request_id: str, worker_id: str, lease_s: float) -> Heartbeat: ...
    def cancel_requested(self, request_id: str) -> bool: ...
    def complete(self, request_id: str, worker_id: str, result: dict[str, Any]) -> bool: ...
    def fail(
        self, request_id: str, worker_id: str, failure: JobFailure, outcome: Outcome = "error"
    ) -> bool: ...
    def request_cancel(self, request_id: str) -> CancelReply: ...
    def expire_overdue(self) -> None: ...
    def purge_expired(self) -> list[str]: ...

    # -- logs
    def add_log(
        self, request_id: str, message: str, level: LogLevel = "INFO", step: bool = False
    ) -> None: ...
    def logs(self, request_id: str) -> list[LogLine]: ...

    # -- webhooks
    def due_webhooks(self, limit: int = 20, hold_s: float = 60.0) -> list[WebhookDelivery]: ...
    def webhook_attempted(self, delivery_id: int, error: str | None, retry_at: float | None) -> None: ...
    def webhook_states(self, request_id: str) -> list[tuple[str, int]]: ...

    # -- workers and metrics
    def worker_state(
        self,
        worker_id: str,
        pid: int,
        device: str,
        state: str,
        current_job: str | None,
        endpoints: Collection[str] | None = None,
        error: str | None = None,
        memory_plan: dict[str, Any] | None = None,
    ) -> None: ...
    def workers(self) -> list[dict[str, Any]]: ...
    def stats(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def worker_lost() -> JobFailure:
    return request_error(500, "The job's worker stopped responding repeatedly", "internal_server_error")


def webhook_body(request_id: str, result: dict[str, Any] | None, failure: JobFailure | None) -> str:
    body: dict[str, Any] = {"request_id": request_id, "gateway_request_id": request_id}
    if failure is None:
        body |= {"status": "OK", "payload": result}
    else:
        body |= {
            "status": "ERROR",
            "error": f"Invalid status code: {failure.status_code}",
            "payload": failure.body,
        }
    return json.dumps(body)
