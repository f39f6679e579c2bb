"""Typed dependencies: the app state, the caller's owner id, the base URL clients reach us at."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ltxserve.api.errors import fail
from ltxserve.api.state import AppState


def get_state(request: Request) -> AppState:
    return request.app.state.ltx  # type: ignore[no-any-return]


StateDep = Annotated[AppState, Depends(get_state)]


def get_owner(request: Request, state: StateDep) -> str:
    """The caller's owner id from `Authorization: Key ...`; 401 when auth is on and the key is wrong."""
    owner = state.auth.owner(request.headers.get("authorization"))
    if owner is None:
        raise fail(401, "Missing or invalid API key (send `Authorization: Key <key>`)", "unauthorized")
    return owner


OwnerDep = Annotated[str, Depends(get_owner)]


def get_base_url(request: Request, state: StateDep) -> str:
    """`--public-url` when set (behind a proxy), else the scheme and host this request came in on."""
    return (state.settings.public_url or str(request.base_url)).rstrip("/")


BaseUrlDep = Annotated[str, Depends(get_base_url)]
