"""The JS client's proxy mode: the fal URL in `x-fal-target-url`, re-dispatched to our own routes."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ltxserve.api.errors import fail

router = APIRouter(tags=["proxy"])
# Hosted hosts → our path prefixes.
HOST_PREFIXES = {
    "fal.run": "/run",
    "queue.fal.run": "/queue",
    "rest.fal.ai": "/rest",
    "rest.alpha.fal.ai": "/rest",
}
FORWARDED = ("authorization", "content-type", "accept")


def local_path(target: str, own_host: str) -> str:
    """Our path (with query) for a fal URL, or for one of our own absolute URLs (status/result)."""
    url = httpx.URL(target)
    host = url.host.lower()
    query = f"?{url.query.decode()}" if url.query else ""
    if host in HOST_PREFIXES:
        return f"{HOST_PREFIXES[host]}{url.path}{query}"
    if url.netloc.decode().lower() == own_host.lower():
        return f"{url.path}{query}"
    raise fail(412, f"Target host {host!r} is not served here", "bad_request")


@router.api_route("/api/fal/proxy", methods=["GET", "POST", "PUT", "DELETE"], include_in_schema=False)
async def proxy(request: Request) -> Response:
    target = request.headers.get("x-fal-target-url")
    if not target:
        raise fail(400, "Missing x-fal-target-url header", "bad_request")
    path = local_path(target, request.headers.get("host", ""))
    headers = {
        k: v for k, v in request.headers.items() if k.lower() in FORWARDED or k.lower().startswith("x-fal-")
    }
    headers.pop("x-fal-target-url", None)
    transport = httpx.ASGITransport(app=request.app)
    base = str(request.base_url).rstrip("/")
    async with httpx.AsyncClient(transport=transport, base_url=base, timeout=None) as client:
        upstream = await client.request(request.method, path, headers=headers, content=await request.body())
    keep = {
        k: v for k, v in upstream.headers.items() if k.lower() not in ("content-length", "transfer-encoding")
    }
    return Response(upstream.content, status_code=upstream.status_code, headers=keep)
