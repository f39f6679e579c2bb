"""The `RunContext` a worker hands its runner for one job, and the thread that keeps the job's lease."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ltxserve.files.datauri import encode_data_uri
from ltxserve.files.errors import FetchError
from ltxserve.files.fetch import Fetched
from ltxserve.files.objects import ObjectStore
from ltxserve.files.resolve import InputResolver
from ltxserve.jobs.queue import JobQueue
from ltxserve.jobs.records import (
    INTERNAL_ERROR,
    JobFailure,
    JobRecord,
    LogLevel,
    model_error,
    storage_failure,
)
from ltxserve.worker.runner import JobError


class LeaseKeeper:
    """Renews the job's lease every `interval_s` and remembers whether cancel was asked or the lease lost."""

    def __init__(
        self,
        store: JobQueue,
        request_id: str,
        worker_id: str,
        lease_s: float,
        interval_s: float,
        on_beat: Callable[[], None] | None = None,
    ) -> None:
        self.store, self.request_id, self.worker_id = store, request_id, worker_id
        self.on_beat = on_beat
        self.lease_s, self.interval_s = lease_s, interval_s
        self.cancel_requested = False
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{request_id[:8]}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.renew()
            if self.on_beat is not None:
                self.on_beat()

    def renew(self) -> None:
        beat = self.store.heartbeat(self.request_id, self.worker_id, self.lease_s)
        self.cancel_requested = beat.cancel_requested
        self.lost = not beat.owned


class JobContext:
    """`RunContext` backed by the store (logs, cancel flag), the input resolver and local storage."""

    def __init__(
        self,
        job: JobRecord,
        store: JobQueue,
        storage: ObjectStore,
        resolver: InputResolver,
        lease: LeaseKeeper,
    ) -> None:
        self.request_id = job.request_id
        self.endpoint_id = job.endpoint_id
        self.job = job
        self.store, self.storage, self.resolver, self.lease = store, storage, resolver, lease
        self.sync_mode = bool(job.input.get("sync_mode"))

    def log(self, message: str, level: LogLevel = "INFO") -> None:
        self.store.add_log(self.request_id, message, level)

    def progress(self, stage: str, step: int, total: int) -> None:
        self.store.add_log(self.request_id, f"{stage}: step {step}/{total}", "INFO", step=True)

    def should_cancel(self) -> bool:
        if self.lease.cancel_requested or self.lease.lost:
            return True
        # Read the flag itself rather than wait for the next heartbeat: cancel lands within one step.
        return self.store.cancel_requested(self.request_id)

    def read_input(self, loc: tuple[str | int, ...], url: str, limit: int | None = None) -> Fetched:
        try:
            return self.resolver.read(url, self.job.owner, limit)
        except FetchError as exc:
            raise JobError(_download_failure(loc, url, exc)) from exc

    def input_to_path(self, loc: tuple[str | int, ...], url: str, dest: Path, limit: int) -> str:
        try:
            return self.resolver.read_to_path(url, self.job.owner, dest, limit)
        except FetchError as exc:
            raise JobError(_download_failure(loc, url, exc)) from exc

    def store_output(
        self, data: bytes, content_type: str, file_name: str, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        if self.sync_mode:
            # Inline and kept nowhere: the data URI lives only in this job's result.
            url = encode_data_uri(data, content_type)
        else:
            try:
                meta = self.storage.put(
                    data,
                    file_name=file_name,
                    content_type=content_type,
                    owner=self.job.owner,
                    ttl_s=self.job.object_ttl_s,
                )
            except OSError as exc:
                # Full or read-only storage: a retryable failure the client can resubmit, not a crash.
                self.log(f"Cannot store the output: {exc.strerror or exc}", "ERROR")
                failure = storage_failure(exc) or INTERNAL_ERROR
                raise JobError(replace(failure, retryable=True)) from exc
            url = f"{self.job.base_url}/files/{meta.key}"
            file_name = meta.file_name
        return {
            "url": url,
            "content_type": content_type,
            "file_name": file_name,
            "file_size": len(data),
            **(extra or {}),
        }


def _download_failure(loc: tuple[str | int, ...], url: str, exc: FetchError) -> JobFailure:
    full_loc = list(loc) if loc[:1] == ("body",) else ["body", *loc]
    shown = url if not url.startswith("data:") else url[:40] + "..."
    if exc.too_large:
        return model_error("file_too_large", f"File too large: {exc.reason}", full_loc, input_value=shown)
    return model_error(
        "file_download_error", f"Failed to download the file: {exc.reason}", full_loc, input_value=shown
    )
