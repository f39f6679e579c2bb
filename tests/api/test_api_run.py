"""The synchronous run route and sync_mode."""

from __future__ import annotations

import pytest

from ..fake_inputs import INPUTS
from .api_harness import T2A, Harness

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("app_id", sorted(INPUTS))
def test_run_answers_with_the_output(harness: Harness, app_id: str) -> None:
    response = harness.client.post(f"/run/{app_id}", json=INPUTS[app_id])
    assert response.status_code == 200, response.text
    assert response.headers["x-fal-request-id"]
    field = "audio" if "text-to-audio" in app_id else "video"
    assert response.json()[field]["url"].startswith("http://testserver/files/")


def test_run_returns_validation_errors_directly(harness: Harness) -> None:
    response = harness.client.post(f"/run/{T2A}", json={"prompt": 1})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "prompt"]


def test_sync_mode_returns_data_uri_and_stores_nothing(harness: Harness) -> None:
    files_before = set((harness.settings.storage_dir).glob("*"))
    output = harness.client.post(f"/run/{T2A}", json={"prompt": "a", "sync_mode": True}).json()
    assert output["audio"]["url"].startswith("data:audio/wav;base64,")
    assert set(harness.settings.storage_dir.glob("*")) == files_before


def test_store_io_off_keeps_no_input(harness: Harness) -> None:
    response = harness.client.post(f"/run/{T2A}", json={"prompt": "secret"}, headers={"x-fal-store-io": "0"})
    job = harness.client.app.state.ltx.store.get(response.headers["x-fal-request-id"])  # type: ignore[attr-defined]
    assert job.input == {}
