"""The landing page, the playground pages, the endpoint catalogue they read, and a key's request history."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, HTMLResponse, Response

from ltxserve.api.deps import BaseUrlDep, OwnerDep, StateDep
from ltxserve.api.jobs_view import request_urls
from ltxserve.endpoints.sizes import PRESET_SIZES
from ltxserve.jobs.records import JobRecord

router = APIRouter(tags=["playground"])
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
# Inline `data:` inputs longer than this are elided from the history (they can be megabytes each).
MAX_INLINE_CHARS = 2048
NO_STORE = {"Cache-Control": "no-cache"}


@router.get("/", include_in_schema=False)
def landing() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", headers=NO_STORE)


@router.get("/playground/{endpoint_id:path}", include_in_schema=False)
def playground(endpoint_id: str, state: StateDep) -> Response:
    """One page for every endpoint: it reads the id from its own URL and builds the form from the schema."""
    if endpoint_id not in state.endpoints:
        return HTMLResponse(_not_found(endpoint_id), status_code=404)
    return FileResponse(STATIC_DIR / "playground.html", headers=NO_STORE)


@router.get("/api/endpoints")
def catalogue(state: StateDep) -> dict[str, Any]:
    """The served endpoints as the pages need them: what each does, its output and which inputs are files."""
    items = [
        {
            "endpoint_id": e.endpoint_id,
            "title": e.title,
            "output": e.output_field,
            "file_fields": list(e.file_fields),
            "playground_url": f"/playground/{e.endpoint_id}",
            "openapi_url": f"/openapi/queue/openapi.json?endpoint_id={e.endpoint_id}",
        }
        for e in state.endpoints.values()
    ]
    return {"endpoints": items, "size_presets": PRESET_SIZES}


@router.get("/api/requests")
def history(
    state: StateDep,
    caller: OwnerDep,
    base: BaseUrlDep,
    endpoint_id: str | None = None,
    limit: int = Query(default=20, ge=1, le=100),
) -> dict[str, Any]:
    """The caller's own recent requests, newest first (another key's requests are never listed)."""
    jobs = state.store.recent(caller, limit, endpoint_id)
    return {"requests": [_history_item(job, base) for job in jobs]}


def _history_item(job: JobRecord, base: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "endpoint_id": job.endpoint_id,
        "status": job.status,
        "outcome": job.outcome,
        "created_at": _iso(job.created_at),
        "completed_at": _iso(job.completed_at),
        "inference_time": job.inference_time,
        # Empty when the job was submitted with `x-fal-store-io: 0` (its input is dropped once it ends).
        "input": _elide_inline(job.input),
        **request_urls(base, job.app_path, job.request_id),
    }
    if job.failure is not None:
        item["error"] = job.failure.message
        item["error_type"] = job.failure.error_type
    return item


def _elide_inline(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _elide_inline(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_elide_inline(v) for v in value]
    if isinstance(value, str) and value.startswith("data:") and len(value) > MAX_INLINE_CHARS:
        return f"{value.split(',', 1)[0]},… ({len(value)} characters elided)"
    return value


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts is not None else None


def _not_found(endpoint_id: str) -> str:
    return (
        "<!doctype html><meta charset=utf-8><title>Not served</title>"
        '<link rel="stylesheet" href="/static/style.css"><main class="narrow">'
        f"<h1>Not served here</h1><p><code>{escape(endpoint_id)}</code> is not an endpoint of this server.</p>"
        '<p><a href="/">See the endpoints it serves</a></p></main>'
    )
