"""A webhook receiver on 127.0.0.1 for tests and benchmarks: records every delivery, can fail the first ones."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookReceiver:
    """Answers 500 to its first `failures` deliveries (to exercise retries) and 200 to the rest.

    `deliveries` holds each POST as (headers, raw body), in arrival order, failed ones included.
    """

    def __init__(self, failures: int = 0, port: int = 0) -> None:
        self.failures = failures
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.deliveries.append((dict(self.headers), body))
                self.send_response(500 if len(receiver.deliveries) <= receiver.failures else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self, request_id: str) -> list[dict[str, Any]]:
        """The JSON bodies delivered for one request, in arrival order."""
        parsed = (json.loads(body) for _, body in list(self.deliveries))
        return [body for body in parsed if body.get("request_id") == request_id]

    def delivered(self) -> Counter[str]:
        """How many deliveries each request id received."""
        return Counter(json.loads(body).get("request_id") for _, body in list(self.deliveries))

    def wait(self, count: int, timeout_s: float = 10.0) -> None:
        """Until `count` deliveries arrived in all; fails the test after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while len(self.deliveries) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.deliveries) >= count, f"got {len(self.deliveries)} deliveries"

    def wait_for(self, request_id: str, timeout_s: float = 60.0) -> bool:
        """Until one delivery for `request_id` arrived; False when none did within `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while not self.bodies(request_id) and time.monotonic() < deadline:
            time.sleep(0.1)
        return bool(self.bodies(request_id))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
