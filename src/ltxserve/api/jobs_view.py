"""Turning job records into fal's queue responses: submit, status (with logs), result."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.requests import ClientDisconnect

from ltxserve.api.errors import RequestError, fail, failure_response, validation_failure
from ltxserve.api.state import AppState
from ltxserve.jobs.records import PRIORITIES, JobFailure, JobRecord, NewJob

TRUE = ("1", "true", "yes")


def request_urls(base_url: str, app_path: str, request_id: str) -> dict[str, str]:
    """The four ids/URLs the clients poll (`owner/alias` only, never the endpoint's sub-path)."""
    response_url = f"{base_url}/queue/{app_path}/requests/{request_id}"
    return {
        "request_id": request_id,
        "response_url": response_url,
        "status_url": f"{response_url}/status",
        "cancel_url": f"{response_url}/cancel",
    }


async def parse_body(request: Request) -> dict[str, Any]:
    try:
        raw = await request.body()
    except ClientDisconnect:
        raise fail(499, "Client disconnected", "client_cancelled") from None
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        detail = [{"loc": ["body"], "msg": "Input should be a JSON object", "type": "json_invalid"}]
        raise RequestError(_unprocessable(detail))
    return body


def _unprocessable(detail: list[dict[str, Any]]) -> JobFailure:
    return JobFailure(422, {"detail": detail}, "validation_error", False, {"X-Fal-Retryable": "false"})


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
    headers = request.headers
    priority = headers.get("x-fal-queue-priority", "normal").lower()
    webhook = request.query_params.get("fal_webhook")
    if webhook and not webhook.startswith(("http://", "https://")):
        raise fail(400, "fal_webhook must be an http(s) URL", "bad_request")
    return NewJob(
        request_id=str(uuid.uuid4()),
        endpoint_id=app_id,
        owner=owner,
        input=body,
        priority=priority if priority in PRIORITIES else "normal",
        start_timeout_s=_seconds(headers.get("x-fal-request-timeout")),
        webhook_url=webhook or None,
        base_url=base_url,
        store_io=headers.get("x-fal-store-io", "1").lower() not in ("0", "false", "no"),
        object_ttl_s=_lifecycle_ttl(headers.get("x-fal-object-lifecycle-preference")),
    )


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value else None
    except ValueError:
        raise fail(400, "x-fal-request-timeout must be a number of seconds", "bad_request") from None
    return seconds if seconds and seconds > 0 else None


def _lifecycle_ttl(value: str | None) -> int | None:
    """`{"expiration_duration_seconds": N}` from `x-fal-object-lifecycle-preference`."""
    if not value:
        return None
    try:
        seconds = json.loads(value).get("expiration_duration_seconds")
    except (ValueError, AttributeError):
        raise fail(400, "x-fal-object-lifecycle-preference must be a JSON object", "bad_request") from None
    return int(seconds) if isinstance(seconds, int | float) and seconds > 0 else None


def find_job(state: AppState, app_path: str, request_id: str, owner: str) -> JobRecord | None:
    """The caller's job under this `owner/alias`; None for anyone else's (they all read 404)."""
    job = state.store.get(request_id)
    if job is None or job.owner != owner or job.app_path != app_path:
        return None
    return job


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
