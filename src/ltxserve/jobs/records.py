"""The job record and its parts: plain, serialisable data shared by the API, the workers and the store."""

from __future__ import annotations

import errno
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
Outcome = Literal["ok", "error", "cancelled"]
LogLevel = Literal["STDERR", "STDOUT", "ERROR", "INFO", "WARN", "DEBUG"]
PRIORITIES: dict[str, int] = {"normal": 0, "low": 1}
# A job whose worker died this many times is failed instead of being handed to a third worker.
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class JobFailure:
    """How a failed or cancelled job answers on `result`: HTTP status, body and error type."""

    status_code: int
    body: dict[str, Any]
    error_type: str
    retryable: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The short text reported as `error` in the status and the webhook."""
        detail = self.body.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(detail, list) and detail and isinstance(detail[0], dict):
            return str(detail[0].get("msg", self.error_type))
        return self.error_type

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobFailure:
        return cls(**data)


def request_error(status_code: int, detail: str, error_type: str, **headers: str) -> JobFailure:
    """A flat request error: `{"detail", "error_type"}` plus `X-Fal-Error-Type`."""
    hdrs = {"X-Fal-Error-Type": error_type, **headers}
    body = {"detail": detail, "error_type": error_type}
    return JobFailure(status_code, body, error_type, error_type.startswith("runner_"), hdrs)


def model_error(
    error_type: str,
    msg: str,
    loc: list[str | int],
    *,
    retryable: bool = False,
    status_code: int = 422,
    input_value: Any = None,
    ctx: dict[str, Any] | None = None,
) -> JobFailure:
    """A documented model error: `{"detail": [{loc, msg, type, url, ...}]}` plus `X-Fal-Retryable`."""
    item: dict[str, Any] = {
        "loc": loc,
        "msg": msg,
        "type": error_type,
        "url": f"https://docs.fal.ai/errors/#{error_type}",
    }
    if input_value is not None:
        item["input"] = input_value
    if ctx:
        item["ctx"] = ctx
    headers = {"X-Fal-Retryable": "true" if retryable else "false"}
    return JobFailure(status_code, {"detail": [item]}, error_type, retryable, headers)


def storage_failure(exc: BaseException) -> JobFailure | None:
    """A full (507) or read-only (503) data dir, from SQLite's or the OS's error; None for anything else."""
    text = str(exc).lower()
    full = "disk is full" in text or getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
    if full:
        return request_error(507, "The server's storage is full; try again later", "insufficient_storage")
    read_only = "readonly" in text or "read-only" in text or getattr(exc, "errno", None) == errno.EROFS
    if read_only or "unable to open database" in text:
        return request_error(
            503, "The server's storage is not writable; try again later", "storage_unavailable"
        )
    return None


CANCELLED = request_error(499, "Request was cancelled", "client_cancelled")
START_TIMEOUT = request_error(
    504, "Request timed out before it started", "request_timeout", **{"x-fal-request-timeout-type": "user"}
)
INTERNAL_ERROR = model_error(
    "internal_server_error", "Internal server error", ["body"], retryable=True, status_code=500
)


@dataclass(frozen=True)
class LogLine:
    """One entry of a job's logs, in fal's shape."""

    message: str
    level: LogLevel
    timestamp: str
    source: str = "USER"

    def to_dict(self) -> dict[str, str]:
        return {
            "message": self.message,
            "level": self.level,
            "source": self.source,
            "timestamp": self.timestamp,
        }


@dataclass(frozen=True)
class NewJob:
    """What the API hands the store on submit."""

    request_id: str
    endpoint_id: str
    owner: str
    input: dict[str, Any]
    priority: str = "normal"
    start_timeout_s: float | None = None
    webhook_url: str | None = None
    # The server's base URL as the client saw it: output file URLs are built on it.
    base_url: str = ""
    store_io: bool = True
    object_ttl_s: int | None = None


@dataclass(frozen=True)
class JobRecord:
    """A job as stored: its input, state, lease, and result or failure."""

    request_id: str
    endpoint_id: str
    owner: str
    input: dict[str, Any]
    status: Status
    outcome: Outcome | None
    priority: str
    created_at: float
    started_at: float | None
    completed_at: float | None
    attempts: int
    lease_owner: str | None
    cancel_requested: bool
    result: dict[str, Any] | None
    failure: JobFailure | None
    webhook_url: str | None
    base_url: str
    store_io: bool
    object_ttl_s: int | None
    inference_time: float | None

    @property
    def app_path(self) -> str:
        """`owner/alias`: status, result and cancel URLs never carry the endpoint's sub-path."""
        return "/".join(self.endpoint_id.split("/")[:2])
