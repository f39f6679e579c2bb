"""Health, Prometheus metrics and the webhook public keys."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ltxserve.api.deps import StateDep
from ltxserve.api.state import AppState
from ltxserve.files.storage import probe_writable
from ltxserve.jobs.routing import wait_reasons
from ltxserve.settings import Settings

router = APIRouter(tags=["meta"])


# States a worker beats in; `waiting` is a loaded worker whose storage is not writable.
LIVE_STATES = ("loading", "ready", "busy", "waiting")


def stale_after_s(settings: Settings) -> float:
    """A worker beats every `heartbeat_s` (loading, idle or busy); three missed beats and it is dead."""
    return 3 * settings.heartbeat_s + 2.0


def worker_rows(state: AppState) -> list[dict[str, Any]]:
    """The store's workers with `alive`; a silent one reads `unresponsive` and holds no job."""
    now, stale = time.time(), stale_after_s(state.settings)
    workers = []
    for w in state.store.workers():
        alive = w["state"] in LIVE_STATES and now - w["last_seen"] < stale
        if not alive and w["state"] in LIVE_STATES:
            w = {**w, "state": "unresponsive", "current_job": None}
        workers.append({**w, "alive": alive})
    return workers


@router.get("/health")
def health(request: Request, state: StateDep) -> JSONResponse:
    """Liveness for anyone; the details (workers, queue, reasons) only with a valid key or with auth off.

    503 when the data dir cannot be written (jobs could not be stored); `ready` once a live worker has
    loaded its model, and `reason` says why not.
    """
    workers = worker_rows(state)
    ready = any(w["alive"] and w["state"] in ("ready", "busy") for w in workers)
    storage_error = probe_writable(state.settings.data_dir)
    code = 200 if storage_error is None else 503
    body: dict[str, Any] = {"status": "ok" if storage_error is None else "unhealthy", "ready": ready}
    if state.auth.enabled and state.auth.owner(request.headers.get("authorization")) is None:
        return JSONResponse(body, status_code=code)
    stats = state.store.stats()
    failed = [w for w in workers if w["state"] == "failed" and w.get("error")]
    if storage_error is not None:
        body["reason"] = f"data dir not writable: {storage_error}"
    elif not ready:
        body["reason"] = (
            f"{failed[0]['worker_id']} cannot load: {failed[0]['error']}"
            if failed and not any(w["alive"] for w in workers)
            else "no worker has loaded its model yet"
            if workers
            else "no worker is running"
        )
    body |= {
        "auth": state.auth.enabled,
        "queue_length": stats["queue_length"],
        "waiting": wait_reasons(stats["queued_by_endpoint"], workers),
        "workers": workers,
        "endpoints": sorted(state.endpoints),
    }
    return JSONResponse(body, status_code=code)


@router.get("/metrics")
def metrics(state: StateDep) -> Response:
    return Response(state.metrics.render(), media_type="text/plain; version=0.0.4")


@router.get("/.well-known/jwks.json")
def jwks(state: StateDep) -> dict[str, Any]:
    """The Ed25519 public key webhook receivers verify signatures with."""
    return state.webhook_signer.jwks()
