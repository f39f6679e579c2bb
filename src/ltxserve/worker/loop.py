"""The worker loop: claim → run under a kept lease → complete, fail or cancel exactly once."""

from __future__ import annotations

import logging
import os
import threading
import traceback

from ltxserve.engine.request import GenerationCancelled
from ltxserve.files.resolve import InputResolver
from ltxserve.files.storage import LocalStorage
from ltxserve.jobs.queue import JobQueue
from ltxserve.jobs.records import CANCELLED, INTERNAL_ERROR, JobRecord
from ltxserve.settings import Settings
from ltxserve.worker.capabilities import served_endpoints
from ltxserve.worker.context import JobContext, LeaseKeeper
from ltxserve.worker.runner import JobCancelled, JobError, JobRunner

log = logging.getLogger("ltxserve.worker")


class Worker:
    """One worker: loads its runner once, then claims and runs jobs until told to stop."""

    def __init__(
        self,
        settings: Settings,
        store: JobQueue,
        storage: LocalStorage,
        resolver: InputResolver,
        runner: JobRunner,
        worker_id: str,
        device: str = "cpu",
    ) -> None:
        self.settings, self.store, self.storage, self.resolver = settings, store, storage, resolver
        self.runner, self.worker_id, self.device = runner, worker_id, device
        # What this worker claims: known once the runner has loaded (model + memory plan).
        self.endpoints: frozenset[str] | None = None

    def _state(self, state: str, job: str | None = None) -> None:
        self.store.worker_state(self.worker_id, os.getpid(), self.device, state, job, self.endpoints)

    def serve(self, stop: threading.Event, max_jobs: int | None = None) -> int:
        """Load the runner, then process jobs until `stop` is set (or `max_jobs` are done); returns the count."""
        self._state("loading")
        try:
            self.runner.load()
        except Exception:
            self._state("failed")
            raise
        self.endpoints = served_endpoints(self.runner, self.settings)
        log.info("worker %s serves %d endpoints", self.worker_id, len(self.endpoints))
        self._state("ready")
        done = 0
        while not stop.is_set() and (max_jobs is None or done < max_jobs):
            job = self.store.claim(self.worker_id, self.settings.lease_s, self.endpoints)
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
        with LeaseKeeper(self.store, job.request_id, self.worker_id, s.lease_s, s.heartbeat_s) as lease:
            lease.renew()  # picks up a cancel that arrived between claim and start
            ctx = JobContext(job, self.store, self.storage, self.resolver, lease)
            ctx.log(f"Job started on worker {self.worker_id} (attempt {job.attempts})")
            try:
                output = self.runner.run(job.endpoint_id, job.input, ctx)
            except (JobCancelled, GenerationCancelled):
                ctx.log("Job cancelled", "WARN")
                self.store.fail(job.request_id, self.worker_id, CANCELLED, outcome="cancelled")
            except JobError as exc:
                ctx.log(f"Job failed: {exc.failure.message}", "ERROR")
                self.store.fail(job.request_id, self.worker_id, exc.failure)
            except Exception as exc:
                # An engine crash fails this job only; the worker goes on to the next one.
                log.error("job %s crashed:\n%s", job.request_id, traceback.format_exc())
                ctx.log(f"Internal error: {type(exc).__name__}", "ERROR")
                self.store.fail(job.request_id, self.worker_id, INTERNAL_ERROR)
            else:
                if not self.store.complete(job.request_id, self.worker_id, output):
                    log.warning("job %s: lease lost, result discarded", job.request_id)
