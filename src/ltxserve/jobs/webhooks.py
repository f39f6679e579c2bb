"""Webhooks: Ed25519-signed POSTs of finished jobs, retried with backoff, durable in the store."""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ltxserve.files.fetch import guarded_transport
from ltxserve.jobs.queue import JobQueue, WebhookDelivery

log = logging.getLogger("ltxserve.webhooks")
# Seconds before attempt n+1 (10 attempts over about two hours).
BACKOFF_S = (15, 30, 60, 120, 300, 600, 1200, 1800, 3000)


class WebhookSigner:
    """The server's Ed25519 key pair, created on first start in the data dir; signs as fal's receivers expect."""

    def __init__(self, key_path: Path) -> None:
        if not key_path.exists():
            key_path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            tmp = key_path.with_suffix(".tmp")
            tmp.write_bytes(pem)
            tmp.chmod(0o600)
            tmp.replace(key_path)
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        self._key = key

    def jwks(self) -> dict[str, Any]:
        """The public key as JWKS (`/.well-known/jwks.json`)."""
        raw = self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        kid = hashlib.sha256(raw).hexdigest()[:16]
        return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig", "alg": "EdDSA"}]}

    def headers(
        self, request_id: str, user_id: str, body: bytes, timestamp: int | None = None
    ) -> dict[str, str]:
        """The four `X-Fal-Webhook-*` headers for one delivery."""
        ts = str(timestamp if timestamp is not None else int(time.time()))
        message = f"{request_id}\n{user_id}\n{ts}\n{hashlib.sha256(body).hexdigest()}".encode()
        return {
            "X-Fal-Webhook-Request-Id": request_id,
            "X-Fal-Webhook-User-Id": user_id,
            "X-Fal-Webhook-Timestamp": ts,
            "X-Fal-Webhook-Signature": self._key.sign(message).hex(),
        }


class WebhookDispatcher:
    """Sends due deliveries from the store; a background thread in the API process."""

    def __init__(
        self,
        store: JobQueue,
        signer: WebhookSigner,
        allow_hosts: frozenset[str],
        max_attempts: int = 10,
        backoff_scale: float = 1.0,
        timeout_s: float = 15.0,
    ) -> None:
        self.store, self.signer = store, signer
        self.max_attempts, self.backoff_scale = max_attempts, backoff_scale
        # Webhook URLs are user input: the same address guard as input fetching applies.
        self.client = httpx.Client(
            transport=guarded_transport(allow_hosts),
            timeout=timeout_s,
            trust_env=False,
            follow_redirects=False,
        )

    def run(self, stop: threading.Event, interval_s: float = 0.2) -> None:
        while not stop.is_set():
            try:
                self.send_due()
            except Exception:
                log.exception("webhook dispatch failed")
            stop.wait(interval_s)
        self.client.close()

    def send_due(self) -> int:
        deliveries = self.store.due_webhooks()
        for delivery in deliveries:
            self.send(delivery)
        return len(deliveries)

    def send(self, delivery: WebhookDelivery) -> None:
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            # The same on every attempt: a delivery interrupted by a crash may be repeated, and receivers
            # drop the repeat by this id (the request id: each job has exactly one webhook).
            "Idempotency-Key": delivery.request_id,
            **self.signer.headers(delivery.request_id, delivery.owner, body),
        }
        error: str | None = None
        try:
            response = self.client.post(delivery.url, content=body, headers=headers)
            if not response.is_success:
                error = f"receiver answered HTTP {response.status_code}"
        except Exception as exc:  # any transport failure, including a refused address, is retried
            error = f"{type(exc).__name__}: {exc}"
        attempt = delivery.attempts + 1
        retry_at = None
        if error is not None and attempt < self.max_attempts:
            retry_at = time.time() + BACKOFF_S[min(attempt - 1, len(BACKOFF_S) - 1)] * self.backoff_scale
            log.info(
                "webhook for %s failed (%s); attempt %d of %d",
                delivery.request_id,
                error,
                attempt,
                self.max_attempts,
            )
        self.store.webhook_attempted(delivery.id, error, retry_at)
