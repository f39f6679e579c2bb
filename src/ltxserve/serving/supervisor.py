"""`serve`'s worker processes: started as `python -m ltxserve.worker`, restarted when they die."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ltxserve.jobs.queue import JobQueue
from ltxserve.settings import Settings, settings_env

log = logging.getLogger("ltxserve.supervisor")
RESTART_DELAY_S = 1.0
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
    """Keeps one process per device alive until stopped; gives up when no worker can load.

    A worker that exits before it ever reported `ready` failed to start (a wrong model folder, too little
    memory): it is restarted with a growing delay, `worker_start_retries` times; when every worker has
    failed that often, `on_give_up` is called (serve then exits non-zero with the reason).
    """

    settings: Settings
    store: JobQueue | None = None
    on_give_up: Callable[[str], None] | None = None
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)
    backoff: dict[str, float] = field(default_factory=dict)
    failed_starts: dict[str, int] = field(default_factory=dict)
    ready: set[str] = field(default_factory=set)
    gave_up: str | None = None
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
        self.ready.discard(worker_id)
        log.info("started %s (pid %d) on %s", worker_id, self.procs[worker_id].pid, self._devices[worker_id])

    def _rows(self) -> dict[str, dict[str, Any]]:
        if self.store is None:
            return {}
        try:
            return {w["worker_id"]: w for w in self.store.workers() if w["worker_id"] in self._devices}
        except Exception:  # a busy or broken store must not stop the supervision
            return {}

    def _announce_ready(self, rows: dict[str, dict[str, Any]]) -> None:
        """The console's one line per worker that finished loading."""
        for worker_id, row in rows.items():
            if row["state"] in ("ready", "busy") and worker_id not in self.ready and worker_id in self.procs:
                self.ready.add(worker_id)
                self.failed_starts[worker_id] = 0
                seconds = time.monotonic() - self.started[worker_id]
                log.info("%s ready on %s (loaded in %.1f s)", worker_id, self._devices[worker_id], seconds)

    def _watch(self) -> None:
        while not self._stop.wait(RESTART_DELAY_S):
            rows = self._rows()
            self._announce_ready(rows)
            for worker_id, proc in list(self.procs.items()):
                if proc.poll() is None or self._stop.is_set():
                    continue
                del self.procs[worker_id]
                if worker_id not in self.ready:
                    reason = (rows.get(worker_id) or {}).get("error") or f"exit status {proc.returncode}"
                    if self._failed_start(worker_id, reason):
                        return
                    delay = min(self.backoff.get(worker_id, 0.5) * 2, MAX_BACKOFF_S)
                else:
                    delay = 0.0
                self.backoff[worker_id] = delay or 0.5
                log.warning("%s exited with %s; restarting in %.0f s", worker_id, proc.returncode, delay)
                if self._stop.wait(delay):
                    return
                self._spawn(worker_id)

    def _failed_start(self, worker_id: str, reason: str) -> bool:
        """Count a failed start; True when every worker has used up its retries (supervision ends)."""
        self.failed_starts[worker_id] = self.failed_starts.get(worker_id, 0) + 1
        tries = self.failed_starts[worker_id]
        log.error(
            "%s could not start (%d of %d): %s",
            worker_id,
            tries,
            self.settings.worker_start_retries + 1,
            reason,
        )
        exhausted = [
            w for w in self._devices if self.failed_starts.get(w, 0) > self.settings.worker_start_retries
        ]
        if len(exhausted) < len(self._devices):
            return False
        self.gave_up = f"no worker could load after {tries} tries: {reason}"
        log.error("giving up: %s", self.gave_up)
        if self.on_give_up is not None:
            self.on_give_up(self.gave_up)
        return True

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
