"""Health, Prometheus metrics and the webhook public keys."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from ltxserve.api.deps import StateDep
from ltxserve.jobs.routing import wait_reasons

router = APIRouter(tags=["meta"])
# A worker silent for this long is reported as not alive.
WORKER_STALE_S = 30.0


@router.get("/health")
def health(state: StateDep) -> dict[str, Any]:
    """Up as soon as the API is; `ready` once at least one live worker has loaded its model."""
    now = time.time()
    workers = []
    for w in state.store.workers():
        alive = (
            w["state"] in ("loading", "ready", "busy")
            and now - w["last_seen"] < WORKER_STALE_S + state.settings.lease_s
        )
        workers.append({**w, "alive": alive})
    ready = any(w["alive"] and w["state"] in ("ready", "busy") for w in workers)
    stats = state.store.stats()
    return {
        "status": "ok",
        "ready": ready,
        "auth": state.auth.enabled,
        "queue_length": stats["queue_length"],
        "waiting": wait_reasons(stats["queued_by_endpoint"], workers),
        "workers": workers,
        "endpoints": sorted(state.endpoints),
    }


@router.get("/metrics")
def metrics(state: StateDep) -> Response:
    return Response(state.metrics.render(), media_type="text/plain; version=0.0.4")


@router.get("/.well-known/jwks.json")
def jwks(state: StateDep) -> dict[str, Any]:
    """The Ed25519 public key webhook receivers verify signatures with."""
    return state.webhook_signer.jwks()
