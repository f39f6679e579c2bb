"""Health, metrics, JWKS, OpenAPI per endpoint, the JS proxy route, and no torch in the API process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ..fake_inputs import INPUTS
from .api_harness import T2A, Harness

pytestmark = pytest.mark.timeout(60)


def test_health_reports_workers(harness: Harness) -> None:
    harness.client.post(f"/run/{T2A}", json={"prompt": "a"})
    health = harness.client.get("/health").json()
    assert health["status"] == "ok"
    assert health["ready"] is True
    assert health["workers"][0]["state"] in ("ready", "busy")
    assert health["workers"][0]["alive"]


def test_metrics_expose_jobs_queue_steps_and_latency(harness: Harness) -> None:
    harness.client.post(f"/run/{T2A}", json={"prompt": "a"})
    text = harness.client.get("/metrics").text
    assert 'ltxserve_jobs{outcome="ok",state="COMPLETED"} 1.0' in text
    assert "ltxserve_queue_length 0.0" in text
    assert "ltxserve_denoise_steps_total 8.0" in text
    assert "ltxserve_http_request_seconds_count" in text


def test_jwks_has_the_ed25519_key(harness: Harness) -> None:
    [key] = harness.client.get("/.well-known/jwks.json").json()["keys"]
    assert key["kty"] == "OKP"
    assert key["crv"] == "Ed25519"
    assert len(key["x"]) == 43


@pytest.mark.parametrize("app_id", sorted(INPUTS))
def test_openapi_per_endpoint_uses_the_validating_models(harness: Harness, app_id: str) -> None:
    doc = harness.client.get("/openapi/queue/openapi.json", params={"endpoint_id": app_id}).json()
    assert doc["info"]["x-fal-metadata"]["endpointId"] == app_id
    schema = harness.client.app.state.ltx.endpoints[app_id].input_model  # type: ignore[attr-defined]
    assert set(doc["components"]["schemas"][schema.__name__]["properties"]) == set(schema.model_fields)
    assert f"/{app_id}" in doc["paths"]
    assert harness.client.get("/openapi.json").status_code == 200


def test_proxy_route_forwards_to_our_routes(harness: Harness) -> None:
    headers = {"x-fal-target-url": f"https://queue.fal.run/{T2A}"}
    submitted = harness.client.post("/api/fal/proxy", json={"prompt": "a"}, headers=headers)
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "IN_QUEUE"
    status = harness.client.get(
        "/api/fal/proxy", headers={"x-fal-target-url": submitted.json()["status_url"]}
    )
    assert status.status_code in (200, 202)
    assert status.json()["request_id"] == submitted.json()["request_id"]
    refused = harness.client.get("/api/fal/proxy", headers={"x-fal-target-url": "https://example.com/x"})
    assert refused.status_code == 412


def test_api_never_imports_torch() -> None:
    code = (
        "import sys, tempfile, pathlib\n"
        "from fastapi.testclient import TestClient\n"
        "from ltxserve.api.main import create_app\n"
        "from ltxserve.settings import Settings\n"
        "app = create_app(Settings(data_dir=pathlib.Path(tempfile.mkdtemp())))\n"
        "with TestClient(app) as c: assert c.get('/health').status_code == 200\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
