"""A scripted OpenAI-compatible server on 127.0.0.1 (chat completions and moderations) for offline tests."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class FakeOpenAI:
    """Answers every POST with `answer` after `delay_s`; records the bodies and headers it received."""

    def __init__(self) -> None:
        self.answer: dict = {}
        self.status = 200
        self.delay_s = 0.0
        self.requests: list[tuple[dict, dict]] = []
        self.stop = threading.Event()

    def handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append((body, dict(self.headers)))
                # Wait in small slices so the server shuts down promptly after a timed-out test.
                deadline = time.monotonic() + fake.delay_s
                while time.monotonic() < deadline and not fake.stop.is_set():
                    time.sleep(0.02)
                data = json.dumps(fake.answer).encode()
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def openai_server():
    """(fake, base_url): a local server scripted by setting `fake.answer`, `fake.status`, `fake.delay_s`."""
    fake = FakeOpenAI()
    server = ThreadingHTTPServer(("127.0.0.1", 0), fake.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    fake.stop.set()
    server.shutdown()
    server.server_close()
