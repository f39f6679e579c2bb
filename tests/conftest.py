"""Fixtures shared by every test package: the tiny model (built once), the reference fixture, services
(PostgreSQL, S3) and a scripted OpenAI-compatible server on 127.0.0.1 (chat completions and moderations)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REFERENCE_TINY = Path(__file__).parent / "data" / "reference-tiny"


@pytest.fixture(scope="session")
def reference_tiny_dir() -> Path:
    """Lightricks' own tiny checkpoint folder (written by ltx-core 1.0.0)."""
    return REFERENCE_TINY


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our tiny LTX-2.3 model directory (seed 0), written once per test run."""
    from ltxserve.engine.tiny.writer import write_tiny_model

    return write_tiny_model(tmp_path_factory.mktemp("tiny-model"), seed=0)


@pytest.fixture(scope="session")
def tiny_engine(tiny_model_dir: Path):
    """One engine on the tiny model for the whole run (loading it takes seconds)."""
    from ltxserve.engine.generation.pipeline import Engine

    return Engine.load(tiny_model_dir)


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster (installed server binaries; fails when missing) with a migrated template."""
    from ltxserve.jobs.backends import migrate_database
    from ltxserve.testing.postgres import ThrowawayPostgres

    cluster = ThrowawayPostgres().start()
    migrate_database(cluster.create_database("ltxserve_template"))
    yield cluster
    cluster.stop()


@pytest.fixture
def database_url(postgres, request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database for one test (a copy of the template: milliseconds)."""
    import re

    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:40]
    return postgres.create_database(f"t{id(request)}_{name}", template="ltxserve_template")


@pytest.fixture(scope="session")
def s3_server():
    """An in-process S3 server (moto) with one bucket; its AWS_* variables set for this test run."""
    from ltxserve.testing.s3 import InProcessS3

    server = InProcessS3().start()
    server.apply_env()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tiny_distilled_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model's distilled variant (seed 0: the dev weights with the distilled LoRA fused in)."""
    from ltxserve.engine.tiny.writer import write_tiny_model

    return write_tiny_model(tmp_path_factory.mktemp("tiny-distilled"), seed=0, variant="distilled")


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
