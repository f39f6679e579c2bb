"""Turning job records into fal's queue responses: submit, status (with logs), result."""

from __future__ import annotations

import math
import uuid
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from ltxserve.api.body import invalid, json_object, loads_strict
from ltxserve.api.errors import RequestError, fail, failure_response, validation_failure
from ltxserve.api.memory_check import memory_failure
from ltxserve.api.state import AppState
from ltxserve.api.webhook_urls import check_webhook_url
from ltxserve.jobs.records import PRIORITIES, JobRecord, NewJob

TRUE = ("1", "true", "yes")
# A lifecycle preference longer than this (100 years) is a typo or an attack on the int conversion.
MAX_TTL_S = 100 * 365 * 24 * 3600


def request_urls(base_url: str, app_path: str, request_id: str) -> dict[str, str]:
    """The four ids/URLs the clients poll (`owner/alias` only, never the endpoint's sub-path)."""
    response_url = f"{base_url}/queue/{app_path}/requests/{request_id}"
    return {
        "request_id": request_id,
        "response_url": response_url,
        "status_url": f"{response_url}/status",
        "cancel_url": f"{response_url}/cancel",
    }


async def parse_body(request: Request, state: AppState) -> dict[str, Any]:
    """The submitted input: at most `max_request_bytes`, strict JSON, an object (docs/api.md, Limits)."""
    return await json_object(request, state.settings.max_request_bytes)


async def submit_job(request: Request, state: AppState, app_id: str, owner: str, base_url: str) -> JobRecord:
    """Read, validate and queue one input: the same for the queue's submit and the synchronous run."""
    body = await parse_body(request, state)
    job = await run_in_threadpool(new_job, state, request, app_id, body, owner, base_url)
    return await run_in_threadpool(state.store.submit, job)


def new_job(
    state: AppState, request: Request, app_id: str, body: dict[str, Any], owner: str, base_url: str
) -> NewJob:
    """Validate the input with the endpoint's own schema and read fal's request headers."""
    endpoint = state.endpoints.get(app_id)
    if endpoint is None:
        raise fail(404, f"Application {app_id!r} not found", "not_found")
    try:
        endpoint.input_model.model_validate(body)
    except ValidationError as exc:
        raise validation_failure(exc) from exc
    too_big = memory_failure(endpoint, body, state.store.workers())
    if too_big is not None:
        raise RequestError(too_big)
    headers = request.headers
    priority = headers.get("x-fal-queue-priority", "normal").lower()
    webhook = request.query_params.get("fal_webhook") or None
    if webhook is not None:
        webhook = check_webhook_url(webhook, state.settings.fetch_allow_hosts)
    return NewJob(
        request_id=str(uuid.uuid4()),
        endpoint_id=app_id,
        owner=owner,
        input=body,
        priority=priority if priority in PRIORITIES else "normal",
        start_timeout_s=_seconds(headers.get("x-fal-request-timeout")),
        webhook_url=webhook,
        base_url=base_url,
        store_io=headers.get("x-fal-store-io", "1").lower() not in ("0", "false", "no"),
        object_ttl_s=lifecycle_ttl(headers.get("x-fal-object-lifecycle-preference")),
    )


def _seconds(value: str | None) -> float | None:
    loc: list[str | int] = ["header", "x-fal-request-timeout"]
    try:
        seconds = float(value) if value else None
    except ValueError:
        raise invalid(loc, "Must be a number of seconds", "float_parsing") from None
    if seconds is not None and not math.isfinite(seconds):
        raise invalid(loc, "Input should be a finite number", "finite_number")
    return seconds if seconds and seconds > 0 else None


def lifecycle_ttl(value: str | None, header: str = "x-fal-object-lifecycle-preference") -> int | None:
    """Seconds from `{"expiration_duration_seconds": N}`; media expire then, job records keep retention."""
    if not value:
        return None
    loc: list[str | int] = ["header", header, "expiration_duration_seconds"]
    try:
        parsed = loads_strict(value)
    except (ValueError, RecursionError):
        raise invalid(loc[:2], "Must be a JSON object", "json_invalid") from None
    seconds = parsed.get("expiration_duration_seconds") if isinstance(parsed, dict) else None
    if isinstance(seconds, float) and not math.isfinite(seconds):
        raise invalid(loc, "Input should be a finite number", "finite_number")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        if seconds > MAX_TTL_S:
            raise invalid(loc, f"Input should be at most {MAX_TTL_S} seconds", "less_than")
        return int(seconds) if seconds > 0 else None
    return None


def find_job(state: AppState, app_path: str, request_id: str, owner: str) -> JobRecord | None:
    """The caller's job under this `owner/alias`; None for anyone else's (they all read 404)."""
    job = state.store.get(request_id)
    if job is None or job.owner != owner or job.app_path != app_path:
        return None
    return job


def wants_logs(request: Request) -> bool:
    """`?logs=1|true|yes`: a status answer with the job's log lines."""
    return request.query_params.get("logs", "0").lower() in TRUE


def status_body(
    state: AppState, job: JobRecord, base_url: str, logs: list[dict[str, str]] | None
) -> dict[str, Any]:
    """fal's status object; `logs` is always present (Python indexes it), null when not asked for."""
    body: dict[str, Any] = {"status": job.status, **request_urls(base_url, job.app_path, job.request_id)}
    body["gateway_request_id"] = job.request_id
    body["logs"] = logs
    if job.status == "IN_QUEUE":
        body["queue_position"] = state.store.queue_position(job.request_id)
    if job.status == "COMPLETED":
        body["metrics"] = {"inference_time": job.inference_time}
        if job.failure is not None:
            body["error"] = job.failure.message
            body["error_type"] = job.failure.error_type
    return body


def status_response(body: dict[str, Any], request_id: str) -> JSONResponse:
    code = 200 if body["status"] == "COMPLETED" else 202
    return JSONResponse(body, status_code=code, headers={"x-fal-request-id": request_id})


def result_response(job: JobRecord) -> JSONResponse:
    """The output (200), the job's failure as its own status and body, or 400 while unfinished."""
    if job.status != "COMPLETED":
        raise fail(400, "Request is still in progress", "request_in_progress")
    if job.failure is not None:
        return failure_response(job.failure, job.request_id)
    return JSONResponse(job.result, headers={"x-fal-request-id": job.request_id})
