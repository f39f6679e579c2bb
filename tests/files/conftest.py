"""A loopback HTTP server for fetcher tests: files, redirects, lying and missing lengths, stalls."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

BODY = b"x" * 1000


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/file":
            self._send(200, BODY, {"Content-Type": "audio/wav", "Content-Length": str(len(BODY))})
        elif url.path == "/redirect":
            self._send(302, b"", {"Location": query["to"][0], "Content-Length": "0"})
        elif url.path == "/big-declared":
            self._send(200, b"", {"Content-Length": str(10**9)})
        elif url.path == "/no-length":
            # Close-delimited body far over the cap: only bytes actually read can stop it.
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"y" * 10_000)
            self.close_connection = True
        elif url.path == "/lying-length":
            # Declares less than it sends: the client must never hand back more than declared or the cap.
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"z" * 100_000)
            self.close_connection = True
        elif url.path == "/stall":
            time.sleep(3)
            self._send(200, b"late", {"Content-Length": "4"})
        else:
            self._send(404, b"", {"Content-Length": "0"})

    def _send(self, code: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(code)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
