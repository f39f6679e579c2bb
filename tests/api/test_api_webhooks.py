"""Webhooks: signed as fal's receivers verify (JWKS), retried with backoff, durable across restarts."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ltxserve.testing.webhooks import WebhookReceiver

from .api_harness import T2A, Harness

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver(failures=2)
    yield r
    r.close()


def verify(jwks: dict[str, Any], headers: dict[str, str], body: bytes) -> bool:
    """What a fal webhook receiver does with the four headers."""
    ts = int(headers["X-Fal-Webhook-Timestamp"])
    assert abs(time.time() - ts) <= 300
    message = "\n".join(
        [
            headers["X-Fal-Webhook-Request-Id"],
            headers["X-Fal-Webhook-User-Id"],
            str(ts),
            hashlib.sha256(body).hexdigest(),
        ]
    ).encode()
    for key in jwks["keys"]:
        raw = base64.urlsafe_b64decode(key["x"] + "=" * (-len(key["x"]) % 4))
        try:
            Ed25519PublicKey.from_public_bytes(raw).verify(
                bytes.fromhex(headers["X-Fal-Webhook-Signature"]), message
            )
            return True
        except Exception:
            continue
    return False


def test_signed_delivery_after_two_failures(make_harness, receiver: WebhookReceiver) -> None:  # type: ignore[no-untyped-def]
    h: Harness = make_harness(fetch_allow_hosts=["127.0.0.1"])
    submitted = h.client.post(
        f"/queue/{T2A}", params={"fal_webhook": receiver.url}, json={"prompt": "a"}
    ).json()
    receiver.wait(3)
    headers, body = receiver.deliveries[-1]
    payload = json.loads(body)
    assert payload["request_id"] == submitted["request_id"]
    assert payload["status"] == "OK"
    assert payload["payload"]["audio"]["url"].startswith("http://testserver/files/")
    assert verify(h.client.get("/.well-known/jwks.json").json(), headers, body)
    assert not verify(h.client.get("/.well-known/jwks.json").json(), headers, body + b" ")
    time.sleep(0.3)
    assert len(receiver.deliveries) == 3  # delivered once it succeeded; no more attempts


def test_failed_job_webhook_carries_the_error(make_harness) -> None:  # type: ignore[no-untyped-def]
    r = WebhookReceiver()
    h: Harness = make_harness(fetch_allow_hosts=["127.0.0.1"])
    h.client.post(f"/queue/{T2A}", params={"fal_webhook": r.url}, json={"prompt": "fake:crash"})
    r.wait(1)
    payload = json.loads(r.deliveries[0][1])
    assert payload["status"] == "ERROR"
    assert payload["error"] == "Invalid status code: 500"
    assert payload["payload"]["detail"][0]["type"] == "internal_server_error"
    r.close()


def test_pending_delivery_survives_a_restart(make_harness) -> None:  # type: ignore[no-untyped-def]
    down = WebhookReceiver()
    down.close()  # nothing listens: deliveries fail until the receiver is back
    first: Harness = make_harness(fetch_allow_hosts=["127.0.0.1"], webhook_backoff_scale=0.02)
    first.wait(
        first.client.post(f"/queue/{T2A}", params={"fal_webhook": down.url}, json={"prompt": "a"}).json()
    )
    time.sleep(0.3)
    first.stop.set()
    first.client.__exit__(None, None, None)  # the API stops with the delivery still pending
    back = WebhookReceiver(port=down.port)
    make_harness(workers=0, fetch_allow_hosts=["127.0.0.1"], webhook_backoff_scale=0.02)
    back.wait(1, timeout_s=20)
    assert json.loads(back.deliveries[0][1])["status"] == "OK"
    back.close()
