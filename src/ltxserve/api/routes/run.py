"""The synchronous run route: submit, wait, answer with the output; cancel if the client goes away."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ltxserve.api.deps import BaseUrlDep, OwnerDep, StateDep
from ltxserve.api.jobs_view import result_response, submit_job

router = APIRouter(prefix="/run", tags=["run"])
WAIT_POLL_S = 0.1


@router.post("/{app_id:path}")
async def run(
    app_id: str, request: Request, state: StateDep, caller: OwnerDep, base: BaseUrlDep
) -> JSONResponse:
    """Queue the job like submit does, then hold the connection until it ends."""
    record = await submit_job(request, state, app_id, caller, base)
    while True:
        current = await run_in_threadpool(state.store.get, record.request_id)
        if current is None or current.status == "COMPLETED":
            break
        if await request.is_disconnected():
            await run_in_threadpool(state.store.request_cancel, record.request_id)
            return JSONResponse({"detail": "Client disconnected"}, status_code=499)
        await asyncio.sleep(WAIT_POLL_S)
    assert current is not None
    return result_response(current)
