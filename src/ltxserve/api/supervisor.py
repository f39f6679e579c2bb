"""`serve`'s worker processes: started as `python -m ltxserve.worker`, restarted when they die."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from ltxserve.settings import Settings, settings_env

log = logging.getLogger("ltxserve.supervisor")
RESTART_DELAY_S = 1.0
# A worker that dies this soon after starting (a model that fails to load) is restarted ever more slowly.
QUICK_EXIT_S = 30.0
MAX_BACKOFF_S = 60.0


def worker_devices(settings: Settings) -> list[str]:
    """One worker per GPU (found without importing torch), else one on CPU; `--workers N` overrides the count."""
    if settings.device != "auto":
        devices = [settings.device]
    else:
        gpus = _gpu_count()
        devices = [f"cuda:{i}" for i in range(gpus)] or ["cpu"]
    if settings.workers is not None:
        devices = [devices[i % len(devices)] for i in range(settings.workers)]
    return devices


def _gpu_count() -> int:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    if shutil.which("nvidia-smi") is None:
        return 0
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(1 for line in out.splitlines() if line.startswith("GPU "))


@dataclass
class Supervisor:
    """Keeps one process per device alive until stopped."""

    settings: Settings
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)
    backoff: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        env = {**os.environ, **settings_env(self.settings)}
        self._devices = {f"worker-{i}-{os.getpid()}": d for i, d in enumerate(worker_devices(self.settings))}
        self._env = env
        for worker_id in self._devices:
            self._spawn(worker_id)
        threading.Thread(target=self._watch, name="supervisor", daemon=True).start()

    def _spawn(self, worker_id: str) -> None:
        cmd = [
            sys.executable,
            "-m",
            "ltxserve.worker",
            "--worker-id",
            worker_id,
            "--device",
            self._devices[worker_id],
            "--with-parent",
        ]
        self.procs[worker_id] = subprocess.Popen(cmd, env=self._env)
        self.started[worker_id] = time.monotonic()
        log.info("started %s (pid %d) on %s", worker_id, self.procs[worker_id].pid, self._devices[worker_id])

    def _watch(self) -> None:
        while not self._stop.wait(RESTART_DELAY_S):
            for worker_id, proc in list(self.procs.items()):
                if proc.poll() is None or self._stop.is_set():
                    continue
                quick = time.monotonic() - self.started[worker_id] < QUICK_EXIT_S
                delay = min(self.backoff.get(worker_id, 0.5) * 2, MAX_BACKOFF_S) if quick else 0.0
                self.backoff[worker_id] = delay or 0.5
                log.warning("%s exited with %s; restarting in %.0f s", worker_id, proc.returncode, delay)
                if self._stop.wait(delay):
                    return
                self._spawn(worker_id)

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.time() + timeout_s
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
