"""A many-host deployment on one machine: PostgreSQL, an S3 server, N `ltxserve api` and M `ltxserve worker`
processes, each with its own data directory (nothing shared but the database and the bucket)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import fal_client.client as fc

from ..clients.live_server import KEY, LiveServer, start_server, stop_server


@dataclass
class Deployment:
    root: Path
    env: dict[str, str]
    apis: list[LiveServer] = field(default_factory=list)
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_api(self) -> LiveServer:
        data = self.root / f"api-{len(self.apis)}"
        server = start_server(data, command="api", **self.env)
        self.apis.append(server)
        return server

    def start_worker(self, name: str, **env: str) -> subprocess.Popen[bytes]:
        data = self.root / name
        data.mkdir(parents=True, exist_ok=True)
        settings = {**os.environ, **self.env, "LTXSERVE_DATA_DIR": str(data), **env}
        cmd = [sys.executable, "-m", "ltxserve.worker", "--worker-id", name]
        self.workers[name] = subprocess.Popen(cmd, env=settings)
        return self.workers[name]

    def kill_worker(self, name: str) -> None:
        proc = self.workers[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self) -> None:
        for proc in self.workers.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.workers.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=15)
            if proc.poll() is None:
                proc.kill()
        for server in self.apis:
            if server.proc.poll() is None:
                stop_server(server)


@contextlib.contextmanager
def pointed_at(base: str) -> Iterator[None]:
    """The official client's module globals aimed at one API host (its documented override)."""
    saved = (fc.RUN_URL_FORMAT, fc.QUEUE_URL_FORMAT, fc.REST_URL, fc.CDN_URL)
    fc.RUN_URL_FORMAT, fc.QUEUE_URL_FORMAT = f"{base}/run/", f"{base}/queue/"
    fc.REST_URL, fc.CDN_URL = f"{base}/rest", f"{base}/cdn"
    try:
        yield
    finally:
        fc.RUN_URL_FORMAT, fc.QUEUE_URL_FORMAT, fc.REST_URL, fc.CDN_URL = saved


__all__ = ["KEY", "Deployment", "pointed_at"]
