"""Wires the API: state, middleware, error handlers, routes and background tasks. No torch here."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from ltxserve.api import errors
from ltxserve.api.auth import Authenticator
from ltxserve.api.metrics import ApiMetrics
from ltxserve.api.middleware import RequestIdMiddleware
from ltxserve.api.routes import files, meta, openapi, playground, proxy, queue, run, uploads
from ltxserve.api.state import AppState
from ltxserve.api.tokens import TokenSigner, load_or_create_secret
from ltxserve.endpoints import Endpoint
from ltxserve.files.backends import open_storage
from ltxserve.jobs.backends import open_queue
from ltxserve.jobs.webhooks import WebhookDispatcher, WebhookSigner
from ltxserve.settings import Settings

log = logging.getLogger("ltxserve.api")
PURGE_INTERVAL_S = 60.0
# Response headers browser code may read: fal's request id, error type and retry hint, upload ETags.
CORS_EXPOSED = ["x-fal-request-id", "x-fal-error-type", "x-fal-retryable", "etag", "allow"]


def build_state(settings: Settings, endpoints: dict[str, Endpoint] | None = None) -> AppState:
    """Open the store and storage under the data dir and load (or create) the server's keys."""
    if endpoints is None:
        from ltxserve.endpoints import ENDPOINTS

        endpoints = ENDPOINTS
    store = open_queue(settings)
    secret_path, key_path = settings.data_dir / "server-secret.bin", settings.data_dir / "webhook-ed25519.pem"
    if settings.database_url:  # many API hosts: one upload-token secret and one webhook key for all
        from ltxserve.jobs.postgres.secrets import adopt_shared_files

        load_or_create_secret(secret_path)
        WebhookSigner(key_path)
        adopt_shared_files(settings.database_url, [secret_path, key_path])
    return AppState(
        settings=settings,
        store=store,
        storage=open_storage(settings),
        endpoints=endpoints,
        auth=Authenticator(settings.all_api_keys()),
        tokens=TokenSigner(load_or_create_secret(secret_path)),
        webhook_signer=WebhookSigner(key_path),
        metrics=ApiMetrics(store),
    )


def _background(state: AppState, stop: threading.Event) -> list[threading.Thread]:
    """Webhook delivery and retention clean-up, in threads that stop with the app."""
    s = state.settings
    dispatcher = WebhookDispatcher(
        state.store,
        state.webhook_signer,
        frozenset(h.lower() for h in s.fetch_allow_hosts),
        s.webhook_max_attempts,
        s.webhook_backoff_scale,
        s.webhook_timeout_s,
    )

    def purge() -> None:
        while not stop.wait(PURGE_INTERVAL_S):
            try:
                state.store.purge_expired()
                state.storage.purge_expired()
            except Exception:
                log.exception("retention clean-up failed")

    threads = [
        threading.Thread(target=dispatcher.run, args=(stop,), name="webhooks", daemon=True),
        threading.Thread(target=purge, name="retention", daemon=True),
    ]
    for thread in threads:
        thread.start()
    return threads


def create_app(settings: Settings, endpoints: dict[str, Endpoint] | None = None) -> FastAPI:
    """The fal-compatible HTTP API."""
    state = build_state(settings, endpoints)
    if not state.auth.enabled:
        log.warning("no API keys configured: authentication is off")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        threads = _background(state, stop)
        yield
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        state.store.close()

    app = FastAPI(title="ltxserve", version="0.1.0", lifespan=lifespan)
    app.state.ltx = state
    app.add_middleware(RequestIdMiddleware, metrics=state.metrics)
    if settings.cors_origins:
        # Browser apps calling the API or the proxy route directly; keys travel in `Authorization`, never
        # in cookies, so credentials stay off. Preflights (OPTIONS) are answered here.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=CORS_EXPOSED,
            max_age=600,
        )
    app.add_exception_handler(errors.RequestError, errors.on_request_error)
    app.add_exception_handler(RequestValidationError, errors.on_validation_error)
    app.add_exception_handler(StarletteHTTPException, errors.on_http_error)
    app.add_exception_handler(Exception, errors.on_unexpected)
    for module in (meta, openapi, uploads, files, queue, run, proxy, playground):
        app.include_router(module.router)
    app.openapi = lambda: openapi.server_openapi(app, state.endpoints)  # type: ignore[method-assign]
    app.mount("/static", StaticFiles(directory=playground.STATIC_DIR), name="static")
    return app
