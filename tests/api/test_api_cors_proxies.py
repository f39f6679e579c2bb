"""CORS for browser apps, trusted proxies' X-Forwarded-Proto/-Host, and 405 with `Allow`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .api_harness import T2A, Harness

pytestmark = pytest.mark.timeout(60)
ORIGIN = "https://app.example.com"
KEY = "cors-key-0123456789"


def _preflight(h: Harness, path: str, headers: str) -> httpx.Response:
    """A browser's CORS preflight for a POST from ORIGIN that sends `headers`."""
    asked = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": headers,
    }
    return h.client.options(path, headers=asked)


def test_preflight_and_responses_carry_cors_headers(make_harness: Any) -> None:
    h: Harness = make_harness(cors_origins=[ORIGIN], api_keys=[KEY])
    preflight = _preflight(h, f"/queue/{T2A}", "authorization, content-type, x-fal-queue-priority")
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "x-fal-queue-priority" in allowed
    submitted = h.client.post(
        f"/queue/{T2A}", json={"prompt": "a"}, headers={"Origin": ORIGIN, "Authorization": f"Key {KEY}"}
    )
    assert submitted.headers["access-control-allow-origin"] == ORIGIN
    assert "x-fal-request-id" in submitted.headers["access-control-expose-headers"].lower()
    proxy = _preflight(h, "/api/fal/proxy", "x-fal-target-url")
    assert proxy.status_code == 200
    assert proxy.headers["access-control-allow-origin"] == ORIGIN


def test_other_origins_and_the_default_get_no_cors(make_harness: Any) -> None:
    h: Harness = make_harness(cors_origins=[ORIGIN])
    other = h.client.post(f"/queue/{T2A}", json={"prompt": "a"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    plain: Harness = make_harness(workers=0)
    response = plain.client.post(f"/queue/{T2A}", json={"prompt": "a"}, headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in response.headers


def test_trusted_proxy_forwarded_scheme_and_host_shape_returned_urls(make_harness: Any) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ltx.example.com"}
    trusted: Harness = make_harness(workers=0, trusted_proxies=["testclient"])
    body = trusted.client.post(f"/queue/{T2A}", json={"prompt": "a"}, headers=forwarded).json()
    assert body["status_url"].startswith("https://ltx.example.com/queue/fal-ai/ltx-2.3-quality/requests/")
    untrusted: Harness = make_harness(workers=0)  # only loopback is trusted by default
    body = untrusted.client.post(f"/queue/{T2A}", json={"prompt": "a"}, headers=forwarded).json()
    assert body["status_url"].startswith("http://testserver/queue/")


def test_method_not_allowed_carries_allow(harness: Harness) -> None:
    response = harness.client.delete("/health")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()["error_type"] == "method_not_allowed"
