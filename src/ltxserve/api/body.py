"""Reading request bodies from untrusted clients: a byte cap (413), strict JSON, and values every later
step can handle (finite numbers, encodable strings, bounded nesting) — refused with a 422 naming the field."""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import Request
from starlette.requests import ClientDisconnect

from ltxserve.api.errors import RequestError, fail
from ltxserve.jobs.records import JobFailure

# Deeper than any endpoint's schema (LoRA lists are 3 levels) by far; 100,000 levels would exhaust the stack.
MAX_DEPTH = 32


def unprocessable(detail: list[dict[str, Any]]) -> RequestError:
    """A 422 in fal's validation shape."""
    body = {"detail": detail}
    return RequestError(JobFailure(422, body, "validation_error", False, {"X-Fal-Retryable": "false"}))


def invalid(loc: list[str | int], msg: str, error_type: str) -> RequestError:
    return unprocessable([{"loc": loc, "msg": msg, "type": error_type}])


async def read_capped(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it (or its declared length) passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise fail(413, f"Request body larger than {limit} bytes", "request_too_large")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise fail(413, f"Request body larger than {limit} bytes", "request_too_large")
            chunks.append(chunk)
    except ClientDisconnect:
        raise fail(499, "Client disconnected", "client_cancelled") from None
    return b"".join(chunks)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_strict(raw: bytes | str) -> Any:
    """JSON without NaN/Infinity (Python's json accepts them; no client can read them back)."""
    return json.loads(raw, parse_constant=_refuse_constant)


def parse_json(raw: bytes) -> Any:
    """Strict JSON, or a 422 that says why not."""
    try:
        value = loads_strict(raw or b"{}")
    except RecursionError:
        raise invalid(["body"], f"JSON nested deeper than {MAX_DEPTH} levels", "json_too_deep") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(["body"], f"Invalid JSON: {exc}", "json_invalid") from None
    check_value(value)
    return value


def check_value(value: Any, loc: tuple[str | int, ...] = ("body",)) -> None:
    """Walk a parsed body: bounded depth, finite floats (`1e400` parses to inf), strings without lone
    surrogates (`"\\ud800"` parses but cannot be stored or encoded). Iterative, so depth cannot crash it."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, loc)]
    while stack:
        item, where = stack.pop()
        if len(where) > MAX_DEPTH:
            raise invalid(
                list(where[:MAX_DEPTH]), f"JSON nested deeper than {MAX_DEPTH} levels", "json_too_deep"
            )
        if isinstance(item, float) and not math.isfinite(item):
            raise invalid(list(where), "Input should be a finite number", "finite_number")
        if isinstance(item, str):
            _check_text(item, where)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, where)
                stack.append((child, (*where, key)))
        elif isinstance(item, list):
            stack.extend((child, (*where, i)) for i, child in enumerate(item))


def _check_text(text: str, where: tuple[str | int, ...]) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(list(where), "String contains an unpaired surrogate", "string_unicode") from None


async def json_object(request: Request, limit: int) -> dict[str, Any]:
    """A capped, strictly parsed JSON object body."""
    body = parse_json(await read_capped(request, limit))
    if not isinstance(body, dict):
        raise invalid(["body"], "Input should be a JSON object", "json_invalid")
    return body
