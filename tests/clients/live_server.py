"""Starting and stopping a live `ltxserve` (fake runner) on 127.0.0.1 for end-to-end tests."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

KEY = "client-test-key-0123456789"
OTHER_KEY = "other-test-key-0123456789"


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM if the test process dies without tearing down its fixtures."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    base_url: str
    data_dir: Path
    proc: subprocess.Popen[bytes]

    @property
    def cert(self) -> str:
        """The self-signed certificate a `--tls` server made in its data dir."""
        return str(self.data_dir / "tls" / "cert.pem")

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What httpx needs to trust this server (its own certificate under `--tls`)."""
        return ssl.create_default_context(cafile=self.cert) if self.base_url.startswith("https") else True


def start_server(
    data_dir: Path, command: str = "serve", ready_timeout_s: float = 90.0, **env: str
) -> LiveServer:
    port = free_port()
    settings_env = {
        "LTXSERVE_RUNNER": "fake",
        "LTXSERVE_FAKE_STEP_S": "0.03",
        "LTXSERVE_WORKERS": "1",
        "LTXSERVE_LEASE_S": "3",
        "LTXSERVE_HEARTBEAT_S": "0.3",
        "LTXSERVE_POLL_INTERVAL_S": "0.05",
        "LTXSERVE_API_KEYS": f"{KEY},{OTHER_KEY}",
        **env,
    }
    cmd = [
        sys.executable,
        "-m",
        "ltxserve.serving",
        command,
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    proc = subprocess.Popen(cmd, env={**os.environ, **settings_env}, preexec_fn=_die_with_parent)
    scheme = "https" if settings_env.get("LTXSERVE_TLS") == "true" else "http"
    server = LiveServer(f"{scheme}://127.0.0.1:{port}", data_dir, proc)
    try:
        wait_ready(server, need_worker=command == "serve", timeout_s=ready_timeout_s)
    except BaseException:
        stop_server(server)  # never leave a half-started server behind
        raise
    return server


def wait_ready(server: LiveServer, need_worker: bool = True, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert server.proc.poll() is None, "server exited"
        try:
            health = httpx.get(f"{server.base_url}/health", timeout=1, verify=server.verify).json()
            if health["ready"] or not need_worker:
                return
        except (httpx.HTTPError, OSError):  # also: the certificate is not written yet
            pass
        time.sleep(0.1)
    raise AssertionError("server did not become ready")


def stop_server(server: LiveServer) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(timeout=5)
