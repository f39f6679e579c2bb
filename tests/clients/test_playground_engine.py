"""Each served endpoint run from its playground in Chromium, on the real engine with the tiny model."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser

from ltxserve.endpoints import ENDPOINTS
from ltxserve.endpoints.catalogue import SEEDS

from .browser import (
    field,
    fill_tiny,
    has_field,
    media_duration,
    open_playground,
    run_and_wait,
    set_value,
    upload,
)
from .live_server import KEY, LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
# Which local file each file field gets (LoRA paths stay empty: the tiny model's runs need none).
UPLOADS = {"audio_url": "audio", "image_url": "image", "end_image_url": "image", "video_url": "video"}
# The seeds, and one endpoint for each other kind of form (an image pair, no steps, a video input); the
# catalogue tests run every endpoint on the engine (tests/clients/test_catalogue_live.py).
FORMS = {
    *(endpoint.endpoint_id for endpoint in SEEDS),
    "fal-ai/ltx-2.3-22b/image-to-video",
    "fal-ai/ltx-2.3-22b/distilled/text-to-video",
    "fal-ai/ltx-2.3-quality/extend-video",
}


@pytest.mark.parametrize("endpoint_id", sorted(FORMS))
def test_endpoint_runs_from_its_playground_and_the_result_plays(
    endpoint_id: str, engine_server: LiveServer, browser: Browser, media_inputs: dict[str, Path]
) -> None:
    page = open_playground(browser, engine_server.base_url, endpoint_id, KEY)
    fill_tiny(page, "a bell rings in a quiet street")
    if has_field(page, "num_context_frames"):  # extend-video: 9 context frames, 8 new ones
        set_value(page, "num_frames", "17")
        set_value(page, "num_context_frames", "9")
    uploaded = {
        name: upload(page, name, media_inputs[kind])
        for name, kind in UPLOADS.items()
        if name in ENDPOINTS[endpoint_id].file_fields
    }

    shown = run_and_wait(page, timeout_s=240)

    assert shown["state"] == "ok", shown["status"]
    stages = {name: (value, total) for name, value, total in shown["stages"]}
    assert any(name.startswith("denoise") for name in stages), stages
    assert all(value == total for value, total in stages.values()), stages  # every bar reached 100%
    assert media_duration(page) > 0
    kind = ENDPOINTS[endpoint_id].output_field
    assert page.locator(f"#result {kind}").count() == 1
    meta = page.locator("#result-meta")
    assert meta.locator("tr[data-key=seed] td").inner_text() == "4"
    assert meta.locator("tr[data-key='prompt used'] td").inner_text() == "a bell rings in a quiet street"
    if kind == "video":
        assert meta.locator("tr[data-key=size] td").inner_text() == "64 × 64"
    # The download link holds the very file the API stored.
    download = page.locator("#download")
    assert download.get_attribute("download")
    assert not page.js_errors  # type: ignore[attr-defined]
    # What the page submitted is what the API has on record for this key.
    history = httpx.get(f"{engine_server.base_url}/api/requests", headers={"Authorization": f"Key {KEY}"})
    submitted = next(r for r in history.json()["requests"] if r["request_id"] == shown["request_id"])
    for name, url in uploaded.items():
        assert submitted["input"][name] == url
    assert field(page, "prompt").locator(".error").inner_text() == ""
    page.context.close()
