"""procrastinate carries the PostgreSQL queue: defer with a queueing lock, fetch, abort, finish, retry.

ltxserve's worker loop (shared with SQLite) fetches through procrastinate's `JobManager` instead of
running procrastinate's own worker: one GPU job at a time, synchronously, under the same lease and
exactly-once record rules as the embedded backend. procrastinate's API is async, so its calls run on
one event loop thread per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import threading
import time
from collections.abc import Collection, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import procrastinate
from procrastinate import exceptions, jobs

TASK = "ltxserve.run_job"
# procrastinate notifies on `procrastinate_queue_v1#<queue>`, and channel names stop at 63 bytes.
MAX_QUEUE_NAME = 40
HEARTBEAT_EVERY_S = 1.0
T = TypeVar("T")


@dataclass(frozen=True)
class Fetched:
    """A procrastinate job handed to one worker: its id and our request id."""

    job_id: int
    request_id: str


def queue_name(endpoint_id: str) -> str:
    """The endpoint's procrastinate queue: its id, or a readable prefix plus a hash when too long."""
    if len(endpoint_id) <= MAX_QUEUE_NAME:
        return endpoint_id
    digest = hashlib.sha1(endpoint_id.encode()).hexdigest()[:8]
    return f"{endpoint_id[: MAX_QUEUE_NAME - 9]}~{digest}"


class Dispatch:
    """procrastinate's `App` on a private event loop, behind blocking calls."""

    def __init__(self, url: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="procrastinate", daemon=True)
        self._thread.start()
        connector = procrastinate.PsycopgConnector(conninfo=url, min_size=1, max_size=4)
        self.app = procrastinate.App(connector=connector)
        self._call(self._open())
        self._workers: dict[str, int] = {}
        self._beats: dict[str, float] = {}
        self._lock = threading.Lock()

    async def _open(self) -> None:
        await self.app.open_async()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=60)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            for ref in list(self._workers.values()):
                self._call(self.app.job_manager.unregister_worker(ref))
            self._call(self.app.close_async())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def defer(self, request_id: str, endpoint_id: str, priority: int) -> int | None:
        """Queue a job on its endpoint's queue; the waiting entry's id when this request id has one already."""
        task = self.app.configure_task(
            TASK, queue=queue_name(endpoint_id), priority=priority, queueing_lock=request_id
        )
        try:
            return self._call(task.defer_async(request_id=request_id))
        except exceptions.AlreadyEnqueued:
            waiting = self._call(
                self.app.job_manager.list_jobs_async(queueing_lock=request_id, status="todo")
            )
            return next((job.id for job in waiting), None)

    def _worker_ref(self, worker_id: str) -> int:
        with self._lock:
            ref = self._workers.get(worker_id)
        if ref is None:
            ref = self._call(self.app.job_manager.register_worker())
            with self._lock:
                self._workers[worker_id] = ref
        return ref

    def fetch(self, worker_id: str, endpoints: Collection[str] | None) -> Fetched | None:
        """The next job (priority, then age) of the given endpoints, marked `doing` for this worker."""
        names = [queue_name(e) for e in endpoints] if endpoints is not None else None
        for _ in range(2):
            ref = self._worker_ref(worker_id)
            try:
                job = self._call(self.app.job_manager.fetch_job(names, ref))
            except exceptions.ConnectorException:
                # Our registration was pruned as stalled (a long pause): register again and retry once.
                with self._lock:
                    self._workers.pop(worker_id, None)
                continue
            if job is None or job.id is None:
                return None
            return Fetched(job.id, str(job.task_kwargs["request_id"]))
        return None

    def heartbeat(self, worker_id: str) -> None:
        """procrastinate's worker heartbeat, at most once per `HEARTBEAT_EVERY_S` (idle workers poll often)."""
        now = time.monotonic()
        with self._lock:
            if now - self._beats.get(worker_id, -1e9) < HEARTBEAT_EVERY_S:
                return
            self._beats[worker_id] = now
        self._call(self.app.job_manager.update_heartbeat(self._worker_ref(worker_id)))

    def finish(self, job_id: int, outcome: str) -> None:
        status = {"ok": jobs.Status.SUCCEEDED, "cancelled": jobs.Status.ABORTED}.get(
            outcome, jobs.Status.FAILED
        )
        with contextlib.suppress(exceptions.ConnectorException):  # already finished or retried elsewhere
            self._call(self.app.job_manager.finish_job_by_id_async(job_id, status, delete_job=False))

    def cancel(self, job_id: int) -> bool:
        """Cancel a job still waiting (True), or ask a running one to abort (False)."""
        manager = self.app.job_manager
        if self._call(manager.cancel_job_by_id_async(job_id)):
            return True
        self._call(manager.cancel_job_by_id_async(job_id, abort=True))
        return False

    def retry(self, job_id: int) -> None:
        """Put a stalled `doing` job back in the queue now."""
        from procrastinate import utils

        with contextlib.suppress(exceptions.ConnectorException):
            self._call(self.app.job_manager.retry_job_by_id_async(job_id, utils.utcnow()))

    def stalled(self, seconds_since_heartbeat: float) -> list[int]:
        """`doing` jobs whose worker stopped sending heartbeats (procrastinate detects; we retry)."""
        manager = self.app.job_manager
        found = self._call(manager.get_stalled_jobs(seconds_since_heartbeat=seconds_since_heartbeat))
        self._call(manager.prune_stalled_workers(seconds_since_heartbeat))
        return [job.id for job in found if job.id is not None]

    def delete_finished(self, older_than_hours: int) -> None:
        self._call(
            self.app.job_manager.delete_old_jobs(
                older_than_hours, include_failed=True, include_cancelled=True, include_aborted=True
            )
        )

    def apply_schema(self) -> None:
        self._call(self.app.schema_manager.apply_schema_async())
