"""OpenAPI: valid documents per endpoint (also at fal's path) and a server document from which a job
can be submitted as `/docs` does it."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from ..fake_inputs import INPUTS
from .api_harness import Harness

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("app_id", sorted(INPUTS))
def test_each_endpoint_document_is_valid_and_at_fals_path(harness: Harness, app_id: str) -> None:
    ours = harness.client.get("/openapi/queue/openapi.json", params={"endpoint_id": app_id})
    fals = harness.client.get("/api/openapi/queue/openapi.json", params={"endpoint_id": app_id})
    assert ours.status_code == fals.status_code == 200
    assert ours.json() == fals.json()
    doc = fals.json()
    validate(doc)
    submit = doc["paths"][f"/{app_id}"]["post"]
    model = submit["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert doc["components"]["schemas"][model]["properties"]["prompt"]["maxLength"] == 20_000


def test_server_document_lists_every_endpoint_with_input_and_output(harness: Harness) -> None:
    doc = harness.client.get("/openapi.json").json()
    validate(doc)
    schemas = doc["components"]["schemas"]
    for app_id, endpoint in harness.client.app.state.ltx.endpoints.items():  # type: ignore[attr-defined]
        body = doc["paths"][f"/queue/{app_id}"]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"]["$ref"].endswith(f"/{endpoint.input_model.__name__}")
        run = doc["paths"][f"/run/{app_id}"]["post"]["responses"]["200"]["content"]["application/json"]
        assert run["schema"]["$ref"].endswith(f"/{endpoint.output_model.__name__}")
        assert endpoint.input_model.__name__ in schemas
        assert endpoint.output_model.__name__ in schemas
    assert not any(path.startswith(("/queue/{", "/run/{")) for path in doc["paths"])  # no untyped catch-all
    assert doc["components"]["securitySchemes"]["apiKeyAuth"]["name"] == "Authorization"


@pytest.mark.parametrize("app_id", sorted(INPUTS))
def test_a_job_submitted_as_docs_does_completes(harness: Harness, app_id: str) -> None:
    doc = harness.client.get("/openapi.json").json()
    [(path, item)] = [(p, v) for p, v in doc["paths"].items() if p == f"/queue/{app_id}"]
    [media_type] = item["post"]["requestBody"]["content"]
    submitted = harness.client.post(path, json=INPUTS[app_id], headers={"content-type": media_type})
    assert submitted.status_code == 200, submitted.text
    status_path = f"/queue/{'/'.join(app_id.split('/')[:2])}/requests/{{request_id}}/status"
    assert status_path in doc["paths"]
    assert harness.wait(submitted.json())["status"] == "COMPLETED"
