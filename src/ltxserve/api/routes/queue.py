"""The queue API: submit, status, status stream, result, cancel."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from ltxserve.api.deps import BaseUrlDep, OwnerDep, StateDep
from ltxserve.api.errors import fail
from ltxserve.api.jobs_view import (
    find_job,
    request_urls,
    result_response,
    status_body,
    status_response,
    submit_job,
    wants_logs,
)
from ltxserve.api.state import AppState
from ltxserve.jobs.records import JobRecord

router = APIRouter(prefix="/queue", tags=["queue"])
# A comment line this often keeps proxies from closing a quiet stream (and finds gone clients).
STREAM_KEEPALIVE_S = 15.0


def caller_job(owner: str, alias: str, request_id: str, state: StateDep, caller: OwnerDep) -> JobRecord:
    """The job at `/{owner}/{alias}/requests/{request_id}` when it is the caller's; 404 otherwise."""
    job = find_job(state, f"{owner}/{alias}", request_id, caller)
    if job is None:
        raise fail(404, "Request not found", "not_found")
    return job


JobDep = Annotated[JobRecord, Depends(caller_job)]


@router.get("/{owner}/{alias}/requests/{request_id}/status")
def status(job: JobDep, request: Request, state: StateDep, base: BaseUrlDep) -> JSONResponse:
    """The job's state; `logs=1|true` includes its log lines."""
    logs = [line.to_dict() for line in state.store.logs(job.request_id)] if wants_logs(request) else None
    return status_response(status_body(state, job, base, logs), job.request_id)


@router.get("/{owner}/{alias}/requests/{request_id}/status/stream")
def stream(job: JobDep, request: Request, state: StateDep, base: BaseUrlDep) -> StreamingResponse:
    """Server-sent status events (new log lines only in each), closed after COMPLETED."""
    request_id = job.request_id
    events = _status_events(state, request, request_id, base, wants_logs(request))
    headers = {"x-fal-request-id": request_id, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


async def _status_events(
    state: AppState, request: Request, request_id: str, base: str, with_logs: bool
) -> AsyncIterator[str]:
    """One event per change: the stream sleeps on the job's change feed, not on a timer of its own."""
    sent_logs, last = 0, None
    with state.store.changes.subscribe(request_id) as changes:
        while True:
            changes.clear()  # before reading: a change during the read wakes the next wait at once
            job = await run_in_threadpool(state.store.get, request_id)
            if job is None:
                return
            new_logs = None
            if with_logs:
                lines = await run_in_threadpool(state.store.logs, request_id)
                new_logs = [line.to_dict() for line in lines[sent_logs:]]
                sent_logs = len(lines)
            body = await run_in_threadpool(status_body, state, job, base, new_logs)
            changes.watch_queue = job.status == "IN_QUEUE"
            key = (body["status"], body.get("queue_position"))
            if new_logs or key != last:
                last = key
                yield f"data: {json.dumps(body)}\n\n"
            if job.status == "COMPLETED" or await request.is_disconnected():
                return
            if not await changes.wait(STREAM_KEEPALIVE_S):
                yield ": keep-alive\n\n"


@router.get("/{owner}/{alias}/requests/{request_id}")
def result(job: JobDep) -> JSONResponse:
    """The output, or the job's failure with its own status code."""
    return result_response(job)


@router.put("/{owner}/{alias}/requests/{request_id}/cancel")
def cancel(owner: str, alias: str, request_id: str, state: StateDep, caller: OwnerDep) -> JSONResponse:
    """Queued jobs are cancelled at once; running ones stop at their next step."""
    headers = {"x-fal-request-id": request_id}
    if find_job(state, f"{owner}/{alias}", request_id, caller) is None:
        return JSONResponse({"status": "NOT_FOUND"}, status_code=404, headers=headers)
    reply = state.store.request_cancel(request_id)
    if reply == "already_completed":
        return JSONResponse({"status": "ALREADY_COMPLETED"}, status_code=400, headers=headers)
    if reply == "not_found":
        return JSONResponse({"status": "NOT_FOUND"}, status_code=404, headers=headers)
    return JSONResponse({"status": "CANCELLATION_REQUESTED"}, status_code=202, headers=headers)


@router.post("/{app_id:path}")
async def submit(
    app_id: str, request: Request, state: StateDep, caller: OwnerDep, base: BaseUrlDep
) -> JSONResponse:
    """Validate and queue a job; `?fal_webhook=` asks for a POST when it ends."""
    record = await submit_job(request, state, app_id, caller, base)
    position = await run_in_threadpool(state.store.queue_position, record.request_id)
    payload = {
        "status": "IN_QUEUE",
        **request_urls(base, record.app_path, record.request_id),
        "gateway_request_id": record.request_id,
        "queue_position": position,
    }
    return JSONResponse(payload, headers={"x-fal-request-id": record.request_id})
