"""The `serve` and `api` commands: uvicorn for the API, plus supervised workers for `serve`."""

from __future__ import annotations

import logging
import signal
import socket
import sys

import httpx
import uvicorn
from fastapi import FastAPI

from ltxserve.api.main import create_app
from ltxserve.serving.supervisor import Supervisor
from ltxserve.serving.tls import default_names, ensure_self_signed
from ltxserve.settings import Settings

LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
log = logging.getLogger("ltxserve.serve")


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    logging.getLogger("httpx").setLevel(logging.WARNING)


class AnnouncingServer(uvicorn.Server):
    """uvicorn, quiet but for one line with the URL once the socket is bound."""

    def __init__(self, config: uvicorn.Config, settings: Settings) -> None:
        super().__init__(config)
        self.settings = settings

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            url = f"{server_scheme(self.settings)}://{_url_host(self.settings.host)}:{self.settings.port}"
            log.info("listening on %s (API docs at %s/docs, health at %s/health)", url, url, url)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def server_scheme(settings: Settings) -> str:
    return "https" if settings.uses_tls else "http"


def tls_files(settings: Settings) -> tuple[str, str] | None:
    """(certificate, key) for uvicorn: the operator's, or a self-signed pair made in the data dir."""
    if not settings.uses_tls:
        return None
    if settings.tls_cert is not None:
        if settings.tls_key is None:
            raise SystemExit("--tls-cert needs --tls-key (LTXSERVE_TLS_KEY)")
        return str(settings.tls_cert), str(settings.tls_key)
    public_host = httpx.URL(settings.public_url).host if settings.public_url else None
    cert, key = ensure_self_signed(settings.tls_dir, default_names(settings.host, public_host))
    log.info(
        "TLS with a self-signed certificate: clients trust it with SSL_CERT_FILE=%s (Python) or"
        " NODE_EXTRA_CA_CERTS=%s (Node.js)",
        cert,
        cert,
    )
    return str(cert), str(key)


def _server(app: FastAPI, settings: Settings) -> AnnouncingServer:
    tls = tls_files(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        # X-Forwarded-* are read per request from `trusted_proxies` (api/deps.py), host included.
        proxy_headers=False,
        ssl_certfile=tls[0] if tls else None,
        ssl_keyfile=tls[1] if tls else None,
    )
    return AnnouncingServer(config, settings)


def run_api(settings: Settings) -> None:
    """Only the HTTP API (workers run elsewhere against the same store and storage)."""
    settings.check_bind(settings.host)
    _configure_logging()
    _server(create_app(settings), settings).run()


def run_serve(settings: Settings) -> None:
    """The API and one worker process per device; the API answers while the workers load.

    Exits with status 1 when no worker can load its model after `worker_start_retries` restarts.
    """
    settings.check_bind(settings.host)
    if settings.runner == "engine" and settings.model_dir is None:
        raise SystemExit("ltxserve serve needs --model DIR (or LTXSERVE_MODEL_DIR)")
    _configure_logging()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(settings)  # creates the store and keys before workers open them
    server = _server(app, settings)

    def give_up(reason: str) -> None:
        server.should_exit = True

    supervisor = Supervisor(settings, store=app.state.ltx.store, on_give_up=give_up)
    supervisor.start()
    # uvicorn re-raises SIGTERM after its graceful shutdown; exiting through SystemExit runs the `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.run()
    finally:
        supervisor.stop()
    if supervisor.gave_up is not None:
        log.error("ltxserve serve stops: %s", supervisor.gave_up)
        raise SystemExit(1)
