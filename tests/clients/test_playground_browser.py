"""The landing page and the playground in Chromium against a live server with the fake runner."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from ltxserve.endpoints import ENDPOINTS

from .browser import (
    code_text,
    dumps,
    field,
    open_playground,
    reveal,
    run_and_wait,
    set_value,
    upload,
    wait_done,
)
from .live_server import KEY, OTHER_KEY, LiveServer, start_server, stop_server

pytestmark = pytest.mark.timeout(300)
T2V = "fal-ai/ltx-2.3-22b/text-to-video/lora"
A2V = "fal-ai/ltx-2.3-22b/audio-to-video"
JS_DIR = Path(__file__).parent / "js"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Fake runner with 0.2 s steps: a 50-step job leaves time to press Cancel, 8 steps finish quickly."""
    live = start_server(tmp_path_factory.mktemp("playground") / "data", LTXSERVE_FAKE_STEP_S="0.2")
    yield live
    stop_server(live)


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    opened = open_playground(browser, server.base_url, T2V, KEY)
    yield opened
    assert not opened.js_errors  # type: ignore[attr-defined]
    opened.context.close()


def recent(server: LiveServer, key: str = KEY) -> list[dict[str, Any]]:
    reply = httpx.get(f"{server.base_url}/api/requests", headers={"Authorization": f"Key {key}"})
    reply.raise_for_status()
    return list(reply.json()["requests"])


def test_landing_lists_every_endpoint_with_links_and_the_server_state(
    browser: Browser, server: LiveServer
) -> None:
    page = browser.new_page()
    page.goto(f"{server.base_url}/")
    cards = page.locator(".card")
    expect(cards).to_have_count(len(ENDPOINTS))
    for endpoint_id, endpoint in ENDPOINTS.items():
        card = page.locator(f'.card[data-endpoint="{endpoint_id}"]')
        family, task = endpoint.title.split(": ")
        expect(card.get_by_role("heading")).to_have_text(task[0].upper() + task[1:])
        expect(page.get_by_role("region", name=family).locator(card)).to_have_count(1)
        assert (
            card.get_by_role("link", name="Open playground").get_attribute("href")
            == f"/playground/{endpoint_id}"
        )
        openapi = httpx.get(
            server.base_url + str(card.get_by_role("link", name="OpenAPI").get_attribute("href"))
        )
        assert openapi.json()["info"]["x-fal-metadata"]["endpointId"] == endpoint_id
    # Without a key /health says only whether the server is ready; with one, the workers and the queue.
    expect(page.locator("#server-state")).to_contain_text("Ready")
    expect(page.locator("#server-state")).to_contain_text("Enter your API key")
    page.get_by_label("API key").fill(KEY)
    page.get_by_label("API key").press("Enter")
    expect(page.locator("#workers-ready")).to_have_text("1 of 1")
    expect(page.locator("#queue-length")).to_have_text("0")
    page.locator(f'.card[data-endpoint="{A2V}"]').get_by_role("link", name="Open playground").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ENDPOINTS[A2V].title)
    page.close()


@pytest.mark.parametrize("endpoint_id", sorted(ENDPOINTS))
def test_every_schema_field_has_a_labelled_input(
    endpoint_id: str, browser: Browser, server: LiveServer
) -> None:
    page = open_playground(browser, server.base_url, endpoint_id, None)
    schema = ENDPOINTS[endpoint_id].input_model.model_json_schema()
    for name, prop in schema["properties"].items():
        if prop.get("type") == "array":  # the LoRA editor: a group named after the field
            expect(page.get_by_role("group", name=name)).to_have_count(1)
        else:
            expect(page.get_by_label(name, exact=True)).to_have_count(1)
    expect(page.get_by_role("button", name="Run")).to_have_count(1)
    # Defaults come from the schema (the distilled endpoints have no step count).
    steps = "num_inference_steps" if "num_inference_steps" in schema["properties"] else "num_frames"
    reveal(page, steps)
    default = schema["properties"][steps]["default"]
    expect(page.get_by_label(steps, exact=True)).to_have_value(str(default))
    page.context.close()


def test_a_run_shows_queue_progress_logs_and_the_result(page: Page, server: LiveServer) -> None:
    set_value(page, "num_inference_steps", "8")
    set_value(page, "prompt", "a cowboy")
    page.get_by_label("prompt", exact=True).press("Control+Enter")  # runs like the Run button
    shown = wait_done(page)
    assert shown["state"] == "ok"
    assert shown["stages"] == [["denoise", 8, 8]]
    expect(page.locator("#logs")).to_contain_text("denoise: step 8/8")
    # (The fake runner's file is not a playable video: the engine tests check playback.)
    expect(page.locator("#download")).to_have_text("Download video.mp4")
    expect(page.locator("#result-meta tr[data-key='prompt used'] td")).to_have_text("a cowboy")
    assert recent(server)[0]["request_id"] == shown["request_id"]
    result = httpx.get(recent(server)[0]["response_url"], headers={"Authorization": f"Key {KEY}"}).json()
    # Output URLs are capabilities: the page plays and links the file's own URL (streamed, not copied).
    assert page.locator("#download").get_attribute("href") == result["video"]["url"]
    page.get_by_text("Output JSON").click()
    assert json.loads(page.locator("#output-json").inner_text()) == result


def test_bad_values_show_the_apis_errors_beside_their_fields(
    page: Page, media_inputs: dict[str, Path]
) -> None:
    set_value(page, "prompt", "a cowboy")
    set_value(page, "num_frames", "5")
    set_value(page, "video_size", {"width": "10", "height": "64"})
    page.get_by_role("button", name="Add LoRA").click()
    upload(page, "loras.0.path", media_inputs["lora"])
    field(page, "loras.0.scale").get_by_label("scale", exact=True).fill("9")
    shown = run_and_wait(page)
    assert shown["state"] == "error"
    expect(field(page, "num_frames").locator(".error")).to_have_text(
        "Input should be greater than or equal to 9"
    )
    expect(field(page, "video_size").locator("#f-video_size-width-error")).to_contain_text(
        "greater than or equal to 64"
    )
    expect(page.locator("#f-video_size-error")).to_have_text("")  # not "should be 'square_hd', ..."
    expect(field(page, "loras.0.scale").locator(".error")).to_have_text(
        "Input should be less than or equal to 4"
    )
    expect(field(page, "prompt").locator(".error")).to_have_text("")
    # Fixing them clears the errors and the run goes through.
    set_value(page, "num_frames", "9")
    set_value(page, "video_size", "square")
    field(page, "loras.0.scale").get_by_label("scale", exact=True).fill("0.5")
    assert run_and_wait(page)["state"] == "ok"
    expect(page.locator(".field .error:not(:empty)")).to_have_count(0)


def test_a_missing_required_field_is_reported_beside_it(browser: Browser, server: LiveServer) -> None:
    page = open_playground(browser, server.base_url, A2V, KEY)
    set_value(page, "prompt", "a speaker")
    assert run_and_wait(page)["state"] == "error"
    expect(field(page, "audio_url").locator(".error")).to_have_text("Field required")
    page.context.close()


def test_cancel_stops_a_running_request(page: Page, server: LiveServer) -> None:
    set_value(page, "prompt", "a long one")
    set_value(page, "num_inference_steps", "50")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("progress[data-stage=denoise]")).to_have_count(1, timeout=15_000)
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#run-status")).to_have_attribute("data-state", "cancelled", timeout=15_000)
    expect(page.locator("#run-status")).to_contain_text("cancelled")
    request_id = page.locator("#request-id").inner_text()
    job = next(r for r in recent(server) if r["request_id"] == request_id)
    assert job["outcome"] == "cancelled"
    assert job["error_type"] == "client_cancelled"
    progress = page.locator("progress[data-stage=denoise]")
    assert float(progress.evaluate("p => p.value")) < 50  # stopped before the last step
    expect(page.get_by_role("button", name="Run")).to_be_enabled()


def test_the_key_is_typed_once_kept_in_local_storage_and_never_in_the_page(
    browser: Browser, server: LiveServer
) -> None:
    page = open_playground(browser, server.base_url, T2V, None)
    set_value(page, "prompt", "a cowboy")
    assert run_and_wait(page)["state"] == "error"
    expect(page.locator("#run-status")).to_contain_text("refused the API key")
    expect(page.locator("#history")).to_contain_text("Enter your API key")
    page.get_by_label("API key").fill(KEY)
    page.get_by_label("API key").press("Enter")
    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(page.get_by_label("API key")).to_have_value(KEY)
    assert page.evaluate("localStorage.getItem('ltxserve.apiKey')") == KEY
    set_value(page, "prompt", "a cowboy")
    assert run_and_wait(page)["state"] == "ok"
    # Nothing the server sends contains the key: the page, its scripts and the code it shows.
    for path in ["/", f"/playground/{T2V}", "/static/js/playground.js", "/static/js/api.js"]:
        assert KEY not in httpx.get(server.base_url + path).text
    for language in ("Python", "JavaScript", "cURL"):
        assert KEY not in code_text(page, language)
    page.context.close()


def _fill_a_full_request(page: Page, media_inputs: dict[str, Path], prompt: str) -> None:
    set_value(page, "prompt", prompt)
    set_value(page, "num_frames", "17")
    set_value(page, "num_inference_steps", "8")
    set_value(page, "seed", "7")
    set_value(page, "video_size", {"width": "128", "height": "64"})
    set_value(page, "enable_prompt_expansion", False)
    set_value(page, "scheduler", "linear_quadratic")
    page.get_by_role("button", name="Add LoRA").click()
    upload(page, "loras.0.path", media_inputs["lora"])
    lora = field(page, "loras.0")
    lora.get_by_label("scale", exact=True).fill("0.5")
    lora.get_by_label("transformer", exact=True).select_option("video")


def _run_snippet(language: str, code: str, tmp_path: Path, server: LiveServer) -> str:
    env = {**os.environ, "FAL_KEY": KEY}
    if language == "Python":
        cmd = [sys.executable, "-c", code]
    elif language == "cURL":
        cmd = ["bash", "-euo", "pipefail", "-c", code]
    else:  # the JS client resolves from tests/clients/js/node_modules
        script = JS_DIR / f"snippet-{uuid.uuid4().hex}.mjs"
        script.write_text(code)
        cmd = ["node", str(script)]
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    finally:
        if language == "JavaScript":
            script.unlink()
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("language", ["Python", "JavaScript", "cURL"])
def test_copy_as_code_reproduces_the_request(
    language: str, page: Page, server: LiveServer, media_inputs: dict[str, Path], tmp_path: Path
) -> None:
    prompt = f'a cowboy\'s "quoted" ride — über {language} $HOME `date`'
    _fill_a_full_request(page, media_inputs, prompt)
    shown = run_and_wait(page)
    assert shown["state"] == "ok"
    from_page = recent(server)[0]
    assert from_page["request_id"] == shown["request_id"]

    output = _run_snippet(language, code_text(page, language), tmp_path, server)

    from_code = recent(server)[0]
    assert from_code["request_id"] != from_page["request_id"]
    assert from_code["endpoint_id"] == T2V
    assert from_code["outcome"] == "ok"
    assert dumps(from_code["input"]) == dumps(from_page["input"])
    assert from_page["input"]["prompt"] == prompt
    assert from_page["input"]["loras"][0]["scale"] == 0.5
    assert "video.mp4" in output  # each snippet prints the result


def test_history_lists_this_keys_requests_and_reopens_a_result(browser: Browser, server: LiveServer) -> None:
    page = open_playground(browser, server.base_url, T2V, KEY)
    set_value(page, "prompt", "first of two")
    set_value(page, "num_frames", "25")
    first = run_and_wait(page)["request_id"]
    set_value(page, "prompt", "second of two")
    run_and_wait(page)
    entry = page.locator(f'#history button[data-request-id="{first}"]')
    expect(entry).to_contain_text("first of two")
    entry.click()
    expect(page.locator("#request-id")).to_have_text(first)
    expect(page.get_by_label("prompt", exact=True)).to_have_value("first of two")
    expect(page.get_by_label("num_frames", exact=True)).to_have_value("25")
    expect(page.locator("#result-meta tr[data-key='prompt used'] td")).to_have_text("first of two")
    expect(page.locator("#logs")).to_contain_text("denoise: step")
    # Another key sees none of them.
    other = open_playground(browser, server.base_url, T2V, OTHER_KEY)
    expect(other.locator("#history li").first).to_be_visible()
    expect(other.locator("#history")).not_to_contain_text("of two")
    assert all(r["request_id"] != first for r in recent(server, OTHER_KEY))
    other.context.close()
    page.context.close()


def test_an_unknown_endpoint_has_no_playground(server: LiveServer) -> None:
    reply = httpx.get(f"{server.base_url}/playground/fal-ai/not-served")
    assert reply.status_code == 404
    assert "not an endpoint of this server" in reply.text


def test_a_queued_request_shows_its_position_then_runs(page: Page, server: LiveServer) -> None:
    headers = {"Authorization": f"Key {OTHER_KEY}"}
    slow = {"prompt": "blocker", "loras": [], "num_inference_steps": 50}
    blockers = [
        httpx.post(f"{server.base_url}/queue/{T2V}", json=slow, headers=headers).json() for _ in range(2)
    ]
    set_value(page, "prompt", "waits its turn")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#run-status")).to_contain_text("Position 1 in the queue", timeout=15_000)
    for blocker in reversed(blockers):
        httpx.put(blocker["cancel_url"], headers=headers)
    expect(page.locator("#run-status")).to_have_attribute("data-state", "ok", timeout=30_000)
    expect(page.locator("#result-meta tr[data-key='prompt used'] td")).to_have_text("waits its turn")


def test_an_input_the_worker_cannot_fetch_is_reported_beside_its_field(
    browser: Browser, server: LiveServer, media_inputs: dict[str, Path]
) -> None:
    page = open_playground(browser, server.base_url, A2V, KEY)
    set_value(page, "prompt", "a speaker")
    upload(page, "audio_url", media_inputs["audio"])
    set_value(page, "image_url", "http://169.254.169.254/latest/meta-data/frame.png")  # a metadata address
    assert run_and_wait(page)["state"] == "error"
    expect(field(page, "image_url").locator(".error")).to_contain_text("Failed to download the file")
    expect(field(page, "audio_url").locator(".error")).to_be_empty()
    page.context.close()


def test_key_only_files_are_fetched_with_the_key(browser: Browser, tmp_path: Path) -> None:
    """With LTXSERVE_PRIVATE_FILES a media element could not load the file: the page fetches it with the key."""
    private = start_server(tmp_path / "data", LTXSERVE_PRIVATE_FILES="true")
    try:
        page = open_playground(browser, private.base_url, T2V, KEY)
        set_value(page, "prompt", "for my eyes only")
        assert run_and_wait(page)["state"] == "ok"
        link = page.locator("#download")
        expect(link).to_have_attribute("href", re.compile(r"^blob:"))
        size = page.evaluate(
            "async (href) => (await (await fetch(href)).blob()).size", link.get_attribute("href")
        )
        url = recent(private)[0]["response_url"]
        output = httpx.get(url, headers={"Authorization": f"Key {KEY}"}).json()
        assert size == output["video"]["file_size"] > 0
        assert httpx.get(output["video"]["url"]).status_code == 404  # without the key
        page.context.close()
    finally:
        stop_server(private)


def test_a_refused_upload_is_reported_beside_its_field(
    browser: Browser, server: LiveServer, media_inputs: dict[str, Path]
) -> None:
    page = open_playground(browser, server.base_url, A2V, "not-a-key-of-this-server")
    page.get_by_label("Upload a file for audio_url").set_input_files(str(media_inputs["audio"]))
    expect(field(page, "audio_url").locator(".error")).to_contain_text(
        "Upload failed: The server refused the API key"
    )
    expect(page.get_by_label("audio_url", exact=True)).to_have_value("")
    page.context.close()
