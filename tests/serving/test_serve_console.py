"""`serve` as a user runs it: the URL, a line when workers are ready, one per finished job, and a non-zero
exit with the reason when no worker can load the model."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.timeout(120)
T2A = "fal-ai/ltx-2.3-quality/text-to-audio"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp_path: Path, port: int, *args: str, **env: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "console.log"
    cmd = [
        sys.executable,
        "-m",
        "ltxserve.serving",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path / "d"),
        *args,
    ]
    full_env = {**os.environ, "LTXSERVE_WORKERS": "1", "LTXSERVE_HEARTBEAT_S": "0.2", **env}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    return proc, log


def _wait_for(log: Path, pattern: str, timeout_s: float = 60.0) -> re.Match[str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text(errors="replace"))
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{pattern!r} not in the console:\n{log.read_text(errors='replace')}")


def test_wrong_model_exits_non_zero_with_the_reason(tmp_path: Path) -> None:
    port = _port()
    proc, log = _serve(
        tmp_path, port, "--model", str(tmp_path / "no-such-model"), LTXSERVE_WORKER_START_RETRIES="1"
    )
    try:
        assert proc.wait(timeout=100) == 1
    finally:
        proc.kill()
    console = log.read_text(errors="replace")
    assert f"listening on http://127.0.0.1:{port}" in console
    assert "could not start (2 of 2)" in console
    assert "no-such-model" in console
    assert "ltxserve serve stops: no worker could load after 2 tries" in console
    assert "Traceback" not in console  # a missing folder is one clear line, not a stack


def test_console_shows_url_ready_workers_and_each_finished_job(tmp_path: Path) -> None:
    port = _port()
    proc, log = _serve(tmp_path, port, LTXSERVE_RUNNER="fake", LTXSERVE_FAKE_STEP_S="0.01")
    try:
        _wait_for(log, rf"listening on http://127\.0\.0\.1:{port}")
        _wait_for(log, r"worker-0-\d+ ready on cpu \(loaded in [\d.]+ s\)")
        submitted = httpx.post(f"http://127.0.0.1:{port}/queue/{T2A}", json={"prompt": "a"}).json()
        request_id = submitted["request_id"]
        _wait_for(log, rf"job {request_id} {T2A} [\d.]+ s ok")
        failing = httpx.post(f"http://127.0.0.1:{port}/queue/{T2A}", json={"prompt": "fake:crash"}).json()
        _wait_for(log, rf"job {failing['request_id']} {T2A} [\d.]+ s error 500 internal_server_error")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_module_entry_point_takes_the_speed_and_memory_options() -> None:
    from ltxserve.serving.__main__ import parse

    command, settings = parse(["serve", "--attention", "sdpa", "--compile", "blocks", "--memory", "low"])
    assert command == "serve"
    assert settings.attention == "sdpa"
    assert settings.compile == "blocks"
    assert settings.memory == "low"


def test_the_module_entry_point_refuses_an_unknown_memory_profile(capsys: pytest.CaptureFixture[str]) -> None:
    from ltxserve.serving.__main__ import parse

    with pytest.raises(SystemExit) as exited:
        parse(["serve", "--memory", "tiny"])
    assert exited.value.code == 2
    assert "invalid choice: 'tiny'" in capsys.readouterr().err
