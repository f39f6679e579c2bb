"""A database out of reach answers 503 (retry), not a 500."""

from __future__ import annotations

import asyncio
import json

import psycopg
from psycopg_pool import PoolTimeout
from starlette.requests import Request

from ltxserve.api.errors import on_unexpected


def _answer(exc: Exception) -> tuple[int, dict[str, str]]:
    request = Request(
        {"type": "http", "method": "GET", "path": "/queue/x", "headers": [], "query_string": b""}
    )
    response = asyncio.run(on_unexpected(request, exc))
    return response.status_code, json.loads(bytes(response.body))


def test_lost_database_connections_and_pool_timeouts_are_503() -> None:
    for exc in (psycopg.OperationalError("connection refused"), PoolTimeout("no connection in 30 s")):
        code, body = _answer(exc)
        assert code == 503
        assert body["error_type"] == "service_unavailable"
    assert _answer(ValueError("bug"))[0] == 500
