"""Typed dependencies: the app state, the caller's owner id, the base URL clients reach us at."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import Depends, Request

from ltxserve.api.errors import fail
from ltxserve.api.state import AppState


def get_state(request: Request) -> AppState:
    return request.app.state.ltx


StateDep = Annotated[AppState, Depends(get_state)]


def get_owner(request: Request, state: StateDep) -> str:
    """The caller's owner id from `Authorization: Key ...`; 401 when auth is on and the key is wrong."""
    owner = state.auth.owner(request.headers.get("authorization"))
    if owner is None:
        raise fail(401, "Missing or invalid API key (send `Authorization: Key <key>`)", "unauthorized")
    return owner


OwnerDep = Annotated[str, Depends(get_owner)]


def _trusted(peer: str | None, proxies: list[str]) -> bool:
    if peer is None:
        return False
    if "*" in proxies:
        return True
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return peer in proxies
    for entry in proxies:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def get_base_url(request: Request, state: StateDep) -> str:
    """`--public-url` when set; else the scheme and host the client used: this request's, or those a
    trusted proxy forwarded (`X-Forwarded-Proto`, `X-Forwarded-Host`; first value of each)."""
    settings = state.settings
    if settings.public_url:
        return settings.public_url.rstrip("/")
    base = str(request.base_url).rstrip("/")
    peer = request.client.host if request.client else None
    if not _trusted(peer, settings.trusted_proxies):
        return base
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    host = request.headers.get("x-forwarded-host", "").split(",")[0].strip()
    scheme, _, rest = base.partition("://")
    if proto in ("http", "https"):
        scheme = proto
    if host and all(c.isalnum() or c in ".-:[]" for c in host):
        rest = host + rest[len(rest.split("/", 1)[0]) :]
    return f"{scheme}://{rest}"


BaseUrlDep = Annotated[str, Depends(get_base_url)]
