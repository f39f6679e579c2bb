"""Durability: a worker killed with SIGKILL mid-job, and an API restarted with jobs queued."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..clients.live_server import KEY, LiveServer, start_server, stop_server

pytestmark = pytest.mark.timeout(120)
T2A = "fal-ai/ltx-2.3-quality/text-to-audio"
AUTH = {"Authorization": f"Key {KEY}"}
SLOW = {"LTXSERVE_FAKE_STEP_S": "0.25", "LTXSERVE_LEASE_S": "1.5", "LTXSERVE_HEARTBEAT_S": "0.2"}


def _submit(server: LiveServer, prompt: str) -> dict[str, Any]:
    response = httpx.post(f"{server.base_url}/queue/{T2A}", json={"prompt": prompt}, headers=AUTH)
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def _wait(submitted: dict[str, Any], status: str, timeout_s: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = httpx.get(submitted["status_url"], params={"logs": 1}, headers=AUTH).json()
        if body["status"] == status:
            return body  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"never reached {status}")


def _worker_pid(server: LiveServer, request_id: str) -> int:
    for worker in httpx.get(f"{server.base_url}/health", headers=AUTH).json()["workers"]:
        if worker["current_job"] == request_id and worker["state"] == "busy":
            return int(worker["pid"])
    raise AssertionError("no busy worker holds the job")


def test_sigkilled_worker_job_is_rerun_once_after_restart(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", **SLOW)
    try:
        submitted = _submit(server, "survive")
        _wait(submitted, "IN_PROGRESS")
        time.sleep(0.3)
        os.kill(_worker_pid(server, submitted["request_id"]), signal.SIGKILL)
        # `serve` restarts the worker; it re-claims the job once the dead worker's lease expires.
        final = _wait(submitted, "COMPLETED", timeout_s=60)
        assert "error" not in final
        messages = [line["message"] for line in final["logs"]]
        assert sum("A worker stopped responding" in m for m in messages) == 1
        assert sum("(attempt 2)" in m for m in messages) == 1
        assert not any("(attempt 3)" in m for m in messages)
        result = httpx.get(submitted["response_url"], headers=AUTH)
        assert result.status_code == 200
        assert result.json()["prompt"] == "survive"
    finally:
        stop_server(server)


def test_separate_workers_one_killed_the_other_finishes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    api = start_server(data, command="api", **SLOW)
    env = {**os.environ, "LTXSERVE_RUNNER": "fake", "LTXSERVE_DATA_DIR": str(data), **SLOW}
    workers = [
        subprocess.Popen([sys.executable, "-m", "ltxserve.worker", "--worker-id", f"w{i}"], env=env)
        for i in range(2)
    ]
    try:
        submitted = _submit(api, "handover")
        _wait(submitted, "IN_PROGRESS")
        time.sleep(0.3)
        victim = _worker_pid(api, submitted["request_id"])
        os.kill(victim, signal.SIGKILL)
        final = _wait(submitted, "COMPLETED", timeout_s=60)
        assert "error" not in final
        survivor = next(w for w in workers if w.pid != victim)
        assert any(f"on worker w{workers.index(survivor)}" in line["message"] for line in final["logs"])
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
            worker.wait(timeout=15)
        stop_server(api)


def test_api_restart_with_queued_jobs_loses_none(tmp_path: Path) -> None:
    data = tmp_path / "data"
    api = start_server(data, command="api")
    queued = [_submit(api, f"job {i}") for i in range(3)]
    stop_server(api)
    server = start_server(data)  # API again, now with a worker, same data dir (and a new port)
    try:
        for job in queued:
            status_url = job["status_url"].replace(api.base_url, server.base_url)
            _wait({"status_url": status_url}, "COMPLETED")
            response_url = job["response_url"].replace(api.base_url, server.base_url)
            assert httpx.get(response_url, headers=AUTH).json()["prompt"] == job_prompt(queued, job)
    finally:
        stop_server(server)


def job_prompt(queued: list[dict[str, Any]], job: dict[str, Any]) -> str:
    return f"job {queued.index(job)}"
