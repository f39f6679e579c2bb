"""The `serve` and `api` commands: uvicorn for the API, plus supervised workers for `serve`."""

from __future__ import annotations

import logging
import signal
import sys

import uvicorn

from ltxserve.api.main import create_app
from ltxserve.api.supervisor import Supervisor
from ltxserve.settings import Settings

LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def run_api(settings: Settings) -> None:
    """Only the HTTP API (workers run elsewhere against the same store and storage)."""
    settings.check_bind(settings.host)
    _configure_logging()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")


def run_serve(settings: Settings) -> None:
    """The API and one worker process per device; the API answers while the workers load."""
    settings.check_bind(settings.host)
    if settings.runner == "engine" and settings.model_dir is None:
        raise SystemExit("ltxserve serve needs --model DIR (or LTXSERVE_MODEL_DIR)")
    _configure_logging()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(settings)  # creates the store and keys before workers open them
    supervisor = Supervisor(settings)
    supervisor.start()
    # uvicorn re-raises SIGTERM after its graceful shutdown; exiting through SystemExit runs the `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    finally:
        supervisor.stop()
