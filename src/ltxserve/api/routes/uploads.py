"""Both clients' upload flows: Python's token + CDN upload (and multipart), JS's initiate + PUT."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ltxserve.api.body import parse_json, read_capped
from ltxserve.api.deps import BaseUrlDep, OwnerDep, StateDep
from ltxserve.api.errors import fail
from ltxserve.api.jobs_view import lifecycle_ttl
from ltxserve.api.state import AppState
from ltxserve.api.upload_stream import stream_to
from ltxserve.files.errors import StorageError
from ltxserve.files.storage import ObjectMeta

router = APIRouter(tags=["storage"])


def upload_ttl(request: Request) -> int | None:
    """Expiry asked for with `X-Fal-Object-Lifecycle(-Preference)`, in seconds."""
    for header in ("x-fal-object-lifecycle", "x-fal-object-lifecycle-preference"):
        if request.headers.get(header):
            return lifecycle_ttl(request.headers[header], header)
    return None


def token_owner(request: Request, state: AppState) -> str:
    """The owner behind the CDN flow's `Authorization: Bearer <token>`."""
    owner = state.tokens.owner(request.headers.get("authorization"))
    if owner is None:
        raise fail(401, "Missing or expired upload token", "unauthorized")
    return owner


def file_url(base: str, meta: ObjectMeta) -> str:
    return f"{base}/files/{meta.key}"


@router.post("/rest/storage/auth/token")
def upload_token(state: StateDep, caller: OwnerDep, base: BaseUrlDep) -> dict[str, str]:
    """Python client, step 1: a short-lived token for the CDN upload routes."""
    token, expires = state.tokens.issue(caller)
    expires_at = datetime.fromtimestamp(expires, UTC).isoformat()
    return {"token": token, "token_type": "Bearer", "base_url": f"{base}/cdn", "expires_at": expires_at}


@router.post("/cdn/files/upload")
async def cdn_upload(request: Request, state: StateDep, base: BaseUrlDep) -> dict[str, str]:
    """Python client, files up to 100 MB: the body is the file."""
    owner = token_owner(request, state)
    content_type = request.headers.get("content-type", "application/octet-stream")
    name = request.headers.get("x-fal-file-name")
    meta = await run_in_threadpool(state.storage.reserve, name, content_type, owner, upload_ttl(request))
    sink = await run_in_threadpool(state.storage.writer, meta.key)
    await stream_to(request, sink, state.settings.max_upload_bytes)
    return {"access_url": file_url(base, meta)}


@router.post("/cdn/files/upload/multipart")
def cdn_multipart_start(request: Request, state: StateDep, base: BaseUrlDep) -> dict[str, str]:
    """Python client, files over 100 MB: reserve the object; parts go to `{access_url}/multipart/...`."""
    owner = token_owner(request, state)
    content_type = request.headers.get("content-type", "application/octet-stream")
    meta = state.storage.reserve(
        request.headers.get("x-fal-file-name"), content_type, owner, upload_ttl(request)
    )
    assert meta.upload_secret is not None
    return {"access_url": file_url(base, meta), "uploadId": meta.upload_secret}


@router.post("/rest/storage/upload/initiate")
async def initiate(request: Request, state: StateDep, caller: OwnerDep, base: BaseUrlDep) -> dict[str, str]:
    """JS client (and Python's fallback): reserve the object, answer where to PUT it."""
    meta = await _reserve(request, state, caller)
    return {
        "upload_url": f"{file_url(base, meta)}?upload={meta.upload_secret}",
        "file_url": file_url(base, meta),
    }


@router.post("/rest/storage/upload/initiate-multipart")
async def initiate_multipart(
    request: Request, state: StateDep, caller: OwnerDep, base: BaseUrlDep
) -> dict[str, str]:
    """JS client over 90 MB: parts are PUT to `{upload_url path}/{n}`, then `.../complete` is POSTed."""
    meta = await _reserve(request, state, caller)
    upload_url = f"{file_url(base, meta)}/parts?upload={meta.upload_secret}"
    return {"upload_url": upload_url, "file_url": file_url(base, meta)}


# Bodies of the small JSON calls (initiate, complete): a part list for 10,000 parts fits easily.
SMALL_BODY_BYTES = 1024**2


async def _reserve(request: Request, state: AppState, owner: str) -> ObjectMeta:
    body = parse_json(await read_capped(request, SMALL_BODY_BYTES))
    if not isinstance(body, dict):
        raise fail(400, "Body must be JSON {file_name, content_type}", "bad_request")
    content_type = str(body.get("content_type") or "application/octet-stream")
    name = body.get("file_name")
    return state.storage.reserve(
        name if isinstance(name, str) else None, content_type, owner, upload_ttl(request)
    )


def pending_object(state: AppState, token: str, name: str, secret: str | None) -> ObjectMeta:
    """A reserved, still-incomplete object whose upload secret matches; 404 otherwise."""
    meta = state.storage.meta(f"{token}/{name}", include_incomplete=True)
    if meta is None or meta.complete or not secret or secret != meta.upload_secret:
        raise fail(404, "Upload not found", "not_found")
    return meta


@router.put("/files/{token}/{name}")
async def put_upload(token: str, name: str, request: Request, state: StateDep) -> dict[str, str]:
    """The single PUT of the initiate flow (authorised by the secret in `upload_url`)."""
    meta = pending_object(state, token, name, request.query_params.get("upload"))
    sink = await run_in_threadpool(state.storage.writer, meta.key)
    await stream_to(request, sink, state.settings.max_upload_bytes)
    return {"status": "ok"}


@router.put("/files/{token}/{name}/multipart/{upload_id}/{part}")
async def put_cdn_part(
    token: str, name: str, upload_id: str, part: int, request: Request, state: StateDep
) -> JSONResponse:
    """Python multipart: one part; the ETag header is what the client collects."""
    owner = token_owner(request, state)
    meta = pending_object(state, token, name, upload_id)
    if meta.owner != owner:
        raise fail(404, "Upload not found", "not_found")
    etag = await _put_part(request, state, meta, upload_id, part)
    return JSONResponse({"partNumber": part, "etag": etag}, headers={"ETag": etag})


@router.post("/files/{token}/{name}/multipart/{upload_id}/complete")
async def complete_cdn_parts(
    token: str, name: str, upload_id: str, request: Request, state: StateDep
) -> dict[str, str]:
    """Python multipart: join the parts."""
    owner = token_owner(request, state)
    meta = pending_object(state, token, name, upload_id)
    if meta.owner != owner:
        raise fail(404, "Upload not found", "not_found")
    return await _complete(request, state, meta, upload_id)


@router.put("/files/{token}/{name}/parts/{part}")
async def put_js_part(token: str, name: str, part: int, request: Request, state: StateDep) -> dict[str, Any]:
    """JS multipart: one part, answered as JSON `{partNumber, etag}`."""
    secret = request.query_params.get("upload")
    meta = pending_object(state, token, name, secret)
    assert secret is not None
    return {"partNumber": part, "etag": await _put_part(request, state, meta, secret, part)}


@router.post("/files/{token}/{name}/parts/complete")
async def complete_js_parts(token: str, name: str, request: Request, state: StateDep) -> dict[str, str]:
    """JS multipart: join the parts."""
    secret = request.query_params.get("upload")
    meta = pending_object(state, token, name, secret)
    assert secret is not None
    return await _complete(request, state, meta, secret)


async def _put_part(request: Request, state: AppState, meta: ObjectMeta, upload_id: str, part: int) -> str:
    try:
        sink = state.storage.part_writer(meta.key, upload_id, part)
    except StorageError as exc:
        raise fail(400, str(exc), "bad_request") from None
    return await stream_to(request, sink, state.settings.max_upload_bytes)


async def _complete(request: Request, state: AppState, meta: ObjectMeta, upload_id: str) -> dict[str, str]:
    try:
        raw = await read_capped(request, SMALL_BODY_BYTES)
        parts = [int(p["partNumber"]) for p in parse_json(raw)["parts"]]
        done = await run_in_threadpool(
            state.storage.complete_parts, meta.key, upload_id, parts, state.settings.max_upload_bytes
        )
    except (ValueError, KeyError, TypeError, StorageError) as exc:
        raise fail(400, f"Cannot complete upload: {exc}", "bad_request") from None
    return {"status": "ok", "key": done.key}
