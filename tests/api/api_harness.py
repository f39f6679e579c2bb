"""An in-process API (TestClient) with fake-runner workers in threads, over a temporary data dir."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ltxserve.settings import Settings
from ltxserve.worker.process import build_worker

T2A = "fal-ai/ltx-2.3-quality/text-to-audio"


@dataclass
class Harness:
    """The app, its settings, and the worker threads serving it."""

    settings: Settings
    client: TestClient
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start_worker(self, **overrides: Any) -> None:
        settings = self.settings.model_copy(update=overrides)
        worker = build_worker(settings, f"test-worker-{len(self.threads)}")
        thread = threading.Thread(target=worker.serve, args=(self.stop,), daemon=True)
        thread.start()
        self.threads.append(thread)

    def path(self, url: str) -> str:
        return url.removeprefix("http://testserver")

    def wait(self, submitted: dict[str, Any], timeout_s: float = 15.0, **headers: str) -> dict[str, Any]:
        """Poll status until COMPLETED; returns the last status body."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            body = self.client.get(self.path(submitted["status_url"]), headers=headers).json()
            if body["status"] == "COMPLETED":
                return body
            time.sleep(0.02)
        raise AssertionError(f"job {submitted['request_id']} did not complete")


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "runner": "fake",
        "fake_step_s": 0.02,
        "lease_s": 2.0,
        "heartbeat_s": 0.05,
        "poll_interval_s": 0.02,
        "webhook_backoff_scale": 0.01,
    }
    return Settings(**{**base, **overrides})
