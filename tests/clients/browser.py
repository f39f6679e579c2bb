"""Driving the playground in Debian's Chromium with Playwright: a person's actions, as helpers."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Playwright, expect

# Small sizes, few frames and steps, no prompt expansion: the tiny model runs these in seconds.
TINY_SETTINGS: dict[str, Any] = {
    "num_frames": "9",
    "num_inference_steps": "8",
    "seed": "4",
    "enable_prompt_expansion": False,
    "use_multiscale": False,
    "match_audio_length": False,
}
TINY_SIZE = {"width": "64", "height": "64"}
SIZE_FIELDS = ("video_size", "resolution")
UPLOADED = re.compile(r"^https?://.+/files/.+")


def launch(playwright: Playwright) -> Browser:
    """Chromium from the system's packages (no browser download); missing it is a failure, not a skip."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "chromium is not installed (apt-get install chromium)"
    return playwright.chromium.launch(
        executable_path=executable, args=["--autoplay-policy=no-user-gesture-required"]
    )


def open_playground(browser: Browser, base_url: str, endpoint_id: str, key: str | None) -> Page:
    """A fresh browser profile on the endpoint's page; `key` is typed into the key box like a person would."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base_url}/playground/{endpoint_id}")
    page.wait_for_selector("body[data-ready]")
    if key is not None:
        page.get_by_label("API key").fill(key)
        page.get_by_label("API key").press("Enter")
    page.js_errors = errors  # type: ignore[attr-defined]
    return page


def field(page: Page, path: str) -> Any:
    return page.locator(f'[data-field="{path}"]')


def has_field(page: Page, path: str) -> bool:
    return field(page, path).count() > 0


def reveal(page: Page, path: str) -> None:
    """Open "More settings" when the field lives there."""
    if page.locator(f'#fields-more [data-field="{path}"]').count():
        details = page.locator("#more-settings")
        if not details.evaluate("d => d.open"):
            page.get_by_text("More settings").click()


def set_value(page: Page, name: str, value: Any) -> None:
    """Set a top-level field by its label (the field's name), whatever its widget."""
    reveal(page, name)
    control = field(page, name).get_by_label(name, exact=True)
    if isinstance(value, bool):
        control.set_checked(value)
    elif isinstance(value, dict):  # a size: "custom size" plus width and height
        control.select_option("custom")
        for axis, number in value.items():
            field(page, name).get_by_label(axis, exact=True).fill(str(number))
    elif control.evaluate("e => e.tagName") == "SELECT":
        control.select_option(str(value))
    else:
        control.fill(str(value))


def fill_tiny(page: Page, prompt: str) -> None:
    """The tiny-model settings on whichever of them the endpoint has."""
    set_value(page, "prompt", prompt)
    for name, value in TINY_SETTINGS.items():
        if has_field(page, name):
            set_value(page, name, value)
    for name in SIZE_FIELDS:
        if has_field(page, name):
            set_value(page, name, TINY_SIZE)


def upload(page: Page, path: str, file: Path) -> str:
    """Choose a local file for a file field; returns the URL the page put in the field after uploading."""
    reveal(page, path)
    page.get_by_label(f"Upload a file for {path}").set_input_files(str(file))
    box = field(page, path).locator("input[type=text]").first
    expect(box).to_have_value(UPLOADED, timeout=15_000)
    return box.input_value()


def run_and_wait(page: Page, timeout_s: float = 120) -> dict[str, Any]:
    """Press Run and wait until the status says completed, failed or cancelled; returns what the page shows."""
    page.get_by_role("button", name="Run").click()
    return wait_done(page, timeout_s)


def wait_done(page: Page, timeout_s: float = 120) -> dict[str, Any]:
    """Wait until the run in progress has ended; returns what the page shows."""
    page.wait_for_function(
        "['ok', 'error', 'cancelled'].includes(document.getElementById('run-status').dataset.state)"
        " && !document.getElementById('run').disabled",
        timeout=timeout_s * 1000,
    )
    return {
        "state": page.locator("#run-status").get_attribute("data-state"),
        "status": page.locator("#run-status").inner_text(),
        "stages": page.eval_on_selector_all(
            "progress[data-stage]", "bars => bars.map(b => [b.dataset.stage, b.value, b.max])"
        ),
        "request_id": page.locator("#request-id").inner_text(),
    }


def media_duration(page: Page, timeout_s: float = 20) -> float:
    """The result element's duration once the browser has loaded its metadata."""
    page.wait_for_function(
        "(m => m && m.readyState >= 1 && m.duration > 0)(document.getElementById('result-media'))",
        timeout=timeout_s * 1000,
    )
    return float(page.locator("#result-media").evaluate("m => m.duration"))


def code_text(page: Page, language: str) -> str:
    page.get_by_role("tab", name=language).click()
    return page.locator("#code").inner_text()


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
