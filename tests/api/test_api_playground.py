"""The landing page, the playground pages and their static files, the catalogue, and a key's history."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest

from ltxserve.api.routes.playground import STATIC_DIR
from ltxserve.endpoints import ENDPOINTS
from ltxserve.endpoints.sizes import PRESET_SIZES

from ..fake_inputs import INPUTS, WAV_URI
from .api_harness import T2A, Harness

pytestmark = pytest.mark.timeout(60)
KEY_A, KEY_B = "playground-key-a-0123456789", "playground-key-b-0123456789"
A2V = "fal-ai/ltx-2.3-22b/audio-to-video"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def secured(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    return make_harness(api_keys=[KEY_A, KEY_B])


def key(k: str) -> dict[str, str]:
    return {"Authorization": f"Key {k}"}


def test_landing_and_every_playground_page_are_served(harness: Harness) -> None:
    landing = harness.client.get("/")
    assert landing.status_code == 200
    assert landing.headers["content-type"].startswith("text/html")
    for endpoint_id in INPUTS:
        page = harness.client.get(f"/playground/{endpoint_id}")
        assert page.status_code == 200
        assert "/static/js/playground.js" in page.text
    missing = harness.client.get("/playground/fal-ai/flux/dev")
    assert missing.status_code == 404
    assert "fal-ai/flux/dev" in missing.text


def test_every_asset_the_pages_load_is_served(harness: Harness) -> None:
    """Scripts, modules they import, the stylesheet and the icon: a missing file would break the page."""
    wanted = {"/static/js/landing.js", "/static/js/playground.js"}
    seen: set[str] = set()
    while wanted - seen:
        url = (wanted - seen).pop()
        seen.add(url)
        reply = harness.client.get(url)
        assert reply.status_code == 200, url
        wanted |= {f"/static/js/{name}" for name in re.findall(r'from "\./([\w.]+)"', reply.text)}
    for page in ("/", f"/playground/{T2A}"):
        wanted |= set(re.findall(r'(?:href|src)="(/static/[^"]+)"', harness.client.get(page).text))
    for url in wanted:
        assert harness.client.get(url).status_code == 200, url


def test_static_files_ship_in_the_package() -> None:
    """pyproject's package-data globs cover every file under api/static (no build step, nothing left out)."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "ltxserve"
    ]
    package = ROOT / "src" / "ltxserve"
    for file in STATIC_DIR.rglob("*"):
        if file.is_file():
            relative = str(file.relative_to(package))
            assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative


def test_catalogue_lists_the_registry(harness: Harness) -> None:
    catalogue = harness.client.get("/api/endpoints").json()
    by_id = {e["endpoint_id"]: e for e in catalogue["endpoints"]}
    assert set(by_id) == set(ENDPOINTS)
    assert by_id[A2V]["output"] == "video"
    assert "audio_url" in by_id[A2V]["file_fields"]
    assert by_id[T2A]["output"] == "audio"
    assert by_id[A2V]["playground_url"] == f"/playground/{A2V}"
    assert catalogue["size_presets"]["landscape_16_9"] == list(PRESET_SIZES["landscape_16_9"])


def test_history_lists_only_the_callers_requests_newest_first(secured: Harness) -> None:
    c = secured.client
    first = c.post(f"/queue/{T2A}", json={"prompt": "first"}, headers=key(KEY_A)).json()
    second = c.post(
        f"/queue/{A2V}", json={"prompt": "second", "audio_url": WAV_URI}, headers=key(KEY_A)
    ).json()
    c.post(f"/queue/{T2A}", json={"prompt": "someone else's"}, headers=key(KEY_B))
    secured.wait(first, **key(KEY_A))
    secured.wait(second, **key(KEY_A))

    mine = c.get("/api/requests", headers=key(KEY_A)).json()["requests"]
    assert [r["request_id"] for r in mine] == [second["request_id"], first["request_id"]]
    assert mine[1]["input"] == {"prompt": "first"}
    assert mine[1]["outcome"] == "ok"
    assert mine[1]["response_url"] == first["response_url"]
    assert mine[1]["status"] == "COMPLETED"
    only_t2a = c.get("/api/requests", params={"endpoint_id": T2A}, headers=key(KEY_A)).json()["requests"]
    assert [r["request_id"] for r in only_t2a] == [first["request_id"]]
    assert len(c.get("/api/requests", params={"limit": 1}, headers=key(KEY_A)).json()["requests"]) == 1
    theirs = c.get("/api/requests", headers=key(KEY_B)).json()["requests"]
    assert [r["input"]["prompt"] for r in theirs] == ["someone else's"]


def test_history_needs_a_key_and_a_sane_limit(secured: Harness) -> None:
    assert secured.client.get("/api/requests").status_code == 401
    bad = secured.client.get("/api/requests", params={"limit": 0}, headers=key(KEY_A))
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "limit"]


def test_history_elides_large_inline_files_and_reports_failures(harness: Harness) -> None:
    big = "data:audio/wav;base64," + "A" * 10_000
    submitted = harness.client.post(f"/queue/{A2V}", json={"prompt": "p", "audio_url": big}).json()
    harness.client.put(harness.path(submitted["cancel_url"]))
    harness.wait(submitted)
    [item] = harness.client.get("/api/requests").json()["requests"]
    assert item["input"]["audio_url"].startswith("data:audio/wav;base64,…")
    assert len(item["input"]["audio_url"]) < 100
    assert item["outcome"] in ("cancelled", "error")
    assert item["error_type"]
