"""The seam between the job machinery and the work: `JobRunner.run(endpoint_id, input, ctx) -> output`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ltxserve.files.fetch import Fetched
from ltxserve.jobs.records import JobFailure, LogLevel


class JobError(Exception):
    """A failure the runner has already put in fal's shape (e.g. `file_download_error` naming the field)."""

    def __init__(self, failure: JobFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


class JobCancelled(Exception):
    """Raised by a runner that saw `ctx.should_cancel()` turn true."""


class RunContext(Protocol):
    """What a runner may do besides computing: report, check for cancellation, read inputs, store outputs."""

    request_id: str
    endpoint_id: str

    def log(self, message: str, level: LogLevel = "INFO") -> None: ...

    def progress(self, stage: str, step: int, total: int) -> None: ...

    def should_cancel(self) -> bool: ...

    def read_input(self, loc: tuple[str | int, ...], url: str, limit: int | None = None) -> Fetched:
        """The bytes behind an input URL; raises `JobError(file_download_error)` naming `loc` (`("body", field)`)."""
        ...

    def input_to_path(self, loc: tuple[str | int, ...], url: str, dest: Path, limit: int) -> str:
        """Stream an input to a local file (LoRAs); returns its content type."""
        ...

    def store_output(
        self, data: bytes, content_type: str, file_name: str, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A fal File object (`url`, `content_type`, `file_name`, `file_size`, plus `extra`)."""
        ...


class JobRunner(Protocol):
    """Does one job: the fake runner in tests, the engine runner in production."""

    def load(self) -> None:
        """Load whatever the runner needs (weights) before the worker claims its first job."""
        ...

    def run(self, endpoint_id: str, input: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
        """The output JSON for one job; raises `JobError`, `JobCancelled`, or anything (an internal error)."""
        ...
