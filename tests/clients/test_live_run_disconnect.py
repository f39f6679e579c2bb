"""The sync run route cancels its job when the client goes away."""

from __future__ import annotations

import json
import socket
import sqlite3
import time

import pytest

from .live_server import KEY, LiveServer

pytestmark = pytest.mark.timeout(60)


def _job(db: sqlite3.Connection, prompt: str) -> tuple[str, str | None] | None:
    row = db.execute("SELECT status, outcome FROM jobs WHERE input LIKE ?", (f"%{prompt}%",)).fetchone()
    return (row[0], row[1]) if row else None


def test_run_cancels_when_the_client_disconnects(live_server: LiveServer) -> None:
    prompt = f"walk away {time.time()}"
    body = json.dumps({"prompt": prompt, "num_inference_steps": 30}).encode()
    request = (
        b"POST /run/fal-ai/ltx-2.3-quality/text-to-audio HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"Authorization: Key {KEY}\r\nContent-Type: application/json\r\n".encode()
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    port = int(live_server.base_url.rsplit(":", 1)[1])
    db = sqlite3.connect(live_server.data_dir / "jobs.sqlite3")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        deadline = time.monotonic() + 15
        while _job(db, prompt) is None:  # hang up only once the request is a job (30 steps take ~1 s)
            assert time.monotonic() < deadline, "the run request never became a job"
            time.sleep(0.02)
    deadline = time.monotonic() + 15
    while (_job(db, prompt) or ("", None))[0] != "COMPLETED" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _job(db, prompt) == ("COMPLETED", "cancelled")
