"""The worker loop: claim → run under a kept lease → complete, fail or cancel exactly once."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import traceback
from pathlib import Path

from ltxserve.engine.request import GenerationCancelled
from ltxserve.files.objects import ObjectStore
from ltxserve.files.resolve import InputResolver
from ltxserve.files.storage import probe_writable
from ltxserve.jobs.queue import JobQueue
from ltxserve.jobs.records import CANCELLED, INTERNAL_ERROR, JobRecord, storage_failure
from ltxserve.settings import Settings
from ltxserve.worker.capabilities import served_endpoints
from ltxserve.worker.context import JobContext, LeaseKeeper
from ltxserve.worker.runner import JobCancelled, JobError, JobRunner

log = logging.getLogger("ltxserve.worker")


class WorkerLoadError(Exception):
    """The runner could not load (its reason is logged and reported to /health)."""


class Worker:
    """One worker: loads its runner once, then claims and runs jobs until told to stop."""

    def __init__(
        self,
        settings: Settings,
        store: JobQueue,
        storage: ObjectStore,
        resolver: InputResolver,
        runner: JobRunner,
        worker_id: str,
        device: str = "cpu",
    ) -> None:
        self.settings, self.store, self.storage, self.resolver = settings, store, storage, resolver
        self.runner, self.worker_id, self.device = runner, worker_id, device
        # What this worker claims: known once the runner has loaded (model + memory plan).
        self.endpoints: frozenset[str] | None = None
        self._probed_at = -1e9
        self._storage_error: str | None = None

    def _state(self, state: str, job: str | None = None, error: str | None = None) -> None:
        plan = getattr(self.runner, "memory_plan", None)  # the engine runner's, once loaded
        self.device = plan.device if plan is not None else self.device
        self.store.worker_state(
            self.worker_id,
            os.getpid(),
            self.device,
            state,
            job,
            self.endpoints,
            error,
            plan.to_json() if plan is not None else None,
        )

    def _load(self) -> None:
        """Load the runner, beating `loading` meanwhile (a load takes minutes); a failure is reported with
        its reason in /health before it is raised."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.settings.heartbeat_s):
                self._state("loading")

        self._state("loading")
        beater = threading.Thread(target=beat, name="load-heartbeat", daemon=True)
        beater.start()
        try:
            self.runner.load()
        except Exception as exc:
            done.set()
            beater.join()
            reason = f"{type(exc).__name__}: {exc}".strip()
            # A missing or wrong model folder is one clear line; anything else keeps its traceback.
            expected = isinstance(exc, OSError | ValueError)
            log.error("worker %s cannot load: %s", self.worker_id, reason, exc_info=not expected)
            self._state("failed", error=reason[:2000])
            raise WorkerLoadError(reason) from exc
        done.set()
        beater.join()

    def _storage_ok(self) -> bool:
        """Whether outputs can be written; a worker on a full or read-only disk claims nothing (its queued
        jobs wait instead of failing) and says why in /health until the disk recovers. Probed at most once
        a second."""
        now = time.monotonic()
        if now - self._probed_at < 1.0:
            return self._storage_error is None
        self._probed_at = now
        root = getattr(self.storage, "root", None)
        error = probe_writable(root) if isinstance(root, Path) else None
        if error != self._storage_error:
            log.warning(
                "worker %s: %s",
                self.worker_id,
                f"storage not writable ({error}); waiting" if error else "storage writable again",
            )
        self._storage_error = error
        if error is not None:
            self._state("waiting", error=f"storage not writable: {error}")
        return error is None

    def serve(self, stop: threading.Event, max_jobs: int | None = None) -> int:
        """Load the runner, then process jobs until `stop` is set (or `max_jobs` are done); returns the count."""
        self._load()
        self.endpoints = served_endpoints(self.runner, self.settings)
        log.info("worker %s serves %d endpoints", self.worker_id, len(self.endpoints))
        self._state("ready")
        done = 0
        while not stop.is_set() and (max_jobs is None or done < max_jobs):
            if not self._storage_ok():
                stop.wait(self.settings.heartbeat_s)
                continue
            try:
                job = self.store.claim(self.worker_id, self.settings.lease_s, self.endpoints)
            except (OSError, sqlite3.Error) as exc:
                if storage_failure(exc) is None:
                    raise
                # The store itself is full or read-only: wait for it instead of crash-looping.
                log.warning("worker %s: the job store is not writable (%s); waiting", self.worker_id, exc)
                stop.wait(self.settings.heartbeat_s)
                continue
            if job is None:
                self._state("ready")
                stop.wait(self.settings.poll_interval_s)
                continue
            self.process(job)
            done += 1
        self._state("stopped")
        return done

    def process(self, job: JobRecord) -> None:
        """Run one claimed job and record its single outcome (lost leases record nothing)."""
        self._state("busy", job.request_id)
        s = self.settings
        started = time.monotonic()
        beat = lambda: self._state("busy", job.request_id)  # noqa: E731 - /health sees a live worker
        keeper = LeaseKeeper(self.store, job.request_id, self.worker_id, s.lease_s, s.heartbeat_s, beat)
        outcome = "ok"
        with keeper as lease:
            lease.renew()  # picks up a cancel that arrived between claim and start
            ctx = JobContext(job, self.store, self.storage, self.resolver, lease)
            ctx.log(f"Job started on worker {self.worker_id} (attempt {job.attempts})")
            try:
                output = self.runner.run(job.endpoint_id, job.input, ctx)
            except (JobCancelled, GenerationCancelled):
                outcome = "cancelled"
                ctx.log("Job cancelled", "WARN")
                self.store.fail(job.request_id, self.worker_id, CANCELLED, outcome="cancelled")
            except JobError as exc:
                outcome = f"error {exc.failure.status_code} {exc.failure.error_type}"
                ctx.log(f"Job failed: {exc.failure.message}", "ERROR")
                self.store.fail(job.request_id, self.worker_id, exc.failure)
            except Exception as exc:
                # An engine crash fails this job only; the worker goes on to the next one.
                outcome = "error 500 internal_server_error"
                log.error("job %s crashed:\n%s", job.request_id, traceback.format_exc())
                ctx.log(f"Internal error: {type(exc).__name__}", "ERROR")
                self.store.fail(job.request_id, self.worker_id, INTERNAL_ERROR)
            else:
                if not self.store.complete(job.request_id, self.worker_id, output):
                    outcome = "lease lost, result discarded"
        # The console's one line per finished job (`serve` shows its workers' logs).
        seconds = time.monotonic() - started
        log.info("job %s %s %.1f s %s", job.request_id, job.endpoint_id, seconds, outcome)
