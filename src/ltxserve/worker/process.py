"""A worker process: settings in, runner chosen, loop run until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading

from ltxserve.files.backends import open_storage
from ltxserve.files.resolve import InputResolver
from ltxserve.jobs.backends import open_queue
from ltxserve.settings import Settings
from ltxserve.worker.loop import Worker, WorkerLoadError
from ltxserve.worker.runner import JobRunner


def build_runner(settings: Settings, device: str) -> JobRunner:
    """The fake runner (no model) or the engine runner (imports torch only when chosen)."""
    from ltxserve.endpoints import ENDPOINTS

    if settings.runner == "fake":
        from ltxserve.worker.fake import FakeRunner

        return FakeRunner(ENDPOINTS, settings.fake_step_s)
    from ltxserve.worker.engine_runner import EngineRunner

    if settings.model_dir is None:
        raise ValueError("the engine runner needs a model: pass --model DIR (or LTXSERVE_MODEL_DIR)")
    return EngineRunner.from_settings(settings, settings.model_dir, device)


def build_worker(settings: Settings, worker_id: str | None = None, device: str | None = None) -> Worker:
    # `auto` is resolved by the engine runner's memory plan (the first GPU, else the CPU).
    device = device or settings.device
    if settings.runner == "fake" and device == "auto":
        device = "cpu"
    worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}"
    store = open_queue(settings)
    storage = open_storage(settings)
    resolver = InputResolver.from_settings(settings, storage)
    runner = build_runner(settings, device)
    return Worker(settings, store, storage, resolver, runner, worker_id, device)


def _exit_with_parent(stop: threading.Event, interval_s: float = 1.0) -> None:
    """Stop when the parent (`serve`) is gone, even if it was killed without stopping its workers."""
    parent = os.getppid()
    while not stop.wait(interval_s):
        if os.getppid() != parent:
            stop.set()


def run_worker(
    settings: Settings, worker_id: str | None = None, device: str | None = None, with_parent: bool = False
) -> None:
    """Serve jobs until SIGTERM or SIGINT; the job in hand finishes (or is re-run elsewhere when killed)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if with_parent:
        threading.Thread(target=_exit_with_parent, args=(stop,), daemon=True).start()
    worker = build_worker(settings, worker_id, device)
    try:
        worker.serve(stop)
    except WorkerLoadError:
        sys.exit(1)  # the reason is logged and in /health; `serve` decides whether to retry
    finally:
        worker.store.close()
