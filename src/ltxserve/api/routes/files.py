"""Serving stored files: outputs and uploads, under their unguessable URLs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from ltxserve.api.deps import StateDep
from ltxserve.api.errors import fail

router = APIRouter(tags=["files"])


@router.get("/files/{token}/{name}")
@router.head("/files/{token}/{name}")
def get_file(token: str, name: str, request: Request, state: StateDep) -> Response:
    """The file to whoever holds the URL; with `private_files` (and auth on) only to the owner's key."""
    meta = state.storage.meta(f"{token}/{name}")
    if meta is None:
        raise fail(404, "File not found", "not_found")
    private = state.auth.enabled and state.settings.private_files
    if private and state.auth.owner(request.headers.get("authorization")) != meta.owner:
        raise fail(404, "File not found", "not_found")
    path = state.storage.local_path(meta)
    if path is None:  # object storage: a presigned URL that expires with the file
        return RedirectResponse(state.storage.download_url(meta) or "", status_code=307)
    return FileResponse(path, media_type=meta.content_type, filename=meta.file_name)
