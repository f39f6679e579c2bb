"""Everything the routes share, built once at start by `main.create_app`."""

from __future__ import annotations

from dataclasses import dataclass

from ltxserve.api.auth import Authenticator
from ltxserve.api.metrics import ApiMetrics
from ltxserve.api.tokens import TokenSigner
from ltxserve.endpoints import Endpoint
from ltxserve.files.objects import ObjectStore
from ltxserve.jobs.queue import JobQueue
from ltxserve.jobs.webhooks import WebhookSigner
from ltxserve.settings import Settings


@dataclass(frozen=True)
class AppState:
    """The API's long-lived parts."""

    settings: Settings
    store: JobQueue
    storage: ObjectStore
    endpoints: dict[str, Endpoint]
    auth: Authenticator
    tokens: TokenSigner
    webhook_signer: WebhookSigner
    metrics: ApiMetrics
