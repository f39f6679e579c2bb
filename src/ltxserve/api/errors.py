"""Errors in fal's shapes: 422 `detail[{loc, msg, type}]`, flat request errors with `X-Fal-Error-Type`."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ltxserve.jobs.records import JobFailure, request_error, storage_failure

log = logging.getLogger("ltxserve.api")
# pydantic's error types → the names fal documents, where one fits.
FAL_TYPES = {
    "greater_than_equal": "greater_than",
    "less_than_equal": "less_than",
    "literal_error": "one_of",
    "enum": "one_of",
}


class RequestError(Exception):
    """Raised by routes to answer with a fal-shaped failure."""

    def __init__(self, failure: JobFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def fail(status_code: int, detail: str, error_type: str) -> RequestError:
    return RequestError(request_error(status_code, detail, error_type))


def failure_response(failure: JobFailure, request_id: str | None = None) -> JSONResponse:
    headers = dict(failure.headers)
    if request_id:
        headers["x-fal-request-id"] = request_id
    return JSONResponse(failure.body, status_code=failure.status_code, headers=headers)


# Echoed inputs are cut to this many characters: a 422 for a 20 MB prompt should not be 20 MB.
ECHO_CHARS = 200


def _jsonable(value: Any) -> Any:
    """The value if it encodes as strict JSON (no NaN, no lone surrogates), else its repr; long text cut."""
    if isinstance(value, str) and len(value) > ECHO_CHARS:
        value = value[:ECHO_CHARS] + "…"
    try:
        json.dumps(value, allow_nan=False).encode()
    except (TypeError, ValueError, RecursionError):
        return ascii(value)[:ECHO_CHARS]
    if isinstance(value, dict | list) and len(json.dumps(value)) > ECHO_CHARS:
        return None
    return value


# pydantic names the union member that failed inside `loc` (`["video_size", "ImageSize", "width"]`,
# `["video_size", "literal['auto',...]"]`); fal's clients expect field names only (the JS client's
# `getFieldErrors("video_size")` matches the last element), so the member tags are dropped.
_UNION_TAG = re.compile(
    r"^(?:[A-Z]\w*|(?:literal|list|dict|tagged-union|function-\w+)\[.*|str|int|float|bool|none)$"
)


def _is_union_tag(part: object) -> bool:
    return isinstance(part, str) and bool(_UNION_TAG.match(part))


def validation_detail(errors: list[Any], prefix: tuple[str, ...] = ("body",)) -> list[dict[str, Any]]:
    """pydantic errors as fal's validation items."""
    items = []
    for err in errors:
        loc = [part for part in err["loc"] if not _is_union_tag(part)]
        if prefix and (not loc or loc[0] != prefix[0]):
            loc = [*prefix, *loc]
        error_type = FAL_TYPES.get(err["type"], err["type"])
        item: dict[str, Any] = {"loc": loc, "msg": err["msg"], "type": error_type}
        if error_type in ("greater_than", "less_than", "one_of"):
            item["url"] = f"https://docs.fal.ai/errors/#{error_type}"
        if "ctx" in err:
            item["ctx"] = {k: _jsonable(v) for k, v in err["ctx"].items()}
        if "input" in err and (echoed := _jsonable(err["input"])) is not None:
            item["input"] = echoed
        items.append(item)
    return items


def validation_failure(exc: ValidationError) -> RequestError:
    body = {"detail": validation_detail(exc.errors())}
    return RequestError(JobFailure(422, body, "validation_error", False, {"X-Fal-Retryable": "false"}))


async def on_request_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestError)
    return failure_response(exc.failure)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": validation_detail(list(exc.errors()), ())}, status_code=422)


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error_type = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
        exc.status_code, "bad_request"
    )
    response = failure_response(request_error(exc.status_code, str(exc.detail), error_type))
    for name, value in (exc.headers or {}).items():  # e.g. `Allow` on a 405
        response.headers[name] = value
    return response


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, OSError | sqlite3.Error) and (failure := storage_failure(exc)) is not None:
        log.error("storage trouble on %s %s: %s", request.method, request.url.path, exc)
        return failure_response(failure)
    if _database_unreachable(exc):  # PostgreSQL restarting or out of reach: retry later
        log.error("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return failure_response(
            request_error(503, "Database unavailable, retry shortly", "service_unavailable")
        )
    return failure_response(request_error(500, "Internal server error", "internal_error"))


def _database_unreachable(exc: Exception) -> bool:
    """psycopg's connection errors and pool timeouts, recognised without importing psycopg."""
    names = {type(e).__name__ for e in (exc, exc.__cause__) if e is not None}
    modules = {type(e).__module__.split(".")[0] for e in (exc, exc.__cause__) if e is not None}
    return bool(modules & {"psycopg", "psycopg_pool"}) and bool(names & {"OperationalError", "PoolTimeout"})
