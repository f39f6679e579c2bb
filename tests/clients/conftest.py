"""Live `ltxserve serve` servers on 127.0.0.1 shared by the client tests: the fake runner and the tiny model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from .browser import launch
from .live_server import LiveServer, start_server, stop_server


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("live") / "data")
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def engine_server(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real engine on the tiny model (one per run: its worker takes ~30 s to load on 2 cores)."""
    server = start_server(
        tmp_path_factory.mktemp("engine") / "data",
        ready_timeout_s=400,  # the worker loads the model first
        LTXSERVE_RUNNER="engine",
        LTXSERVE_MODEL_DIR=str(tiny_model_dir),
        LTXSERVE_LEASE_S="60",
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, driven by Playwright.

    Package-scoped: Playwright's sync API keeps an event loop running in this thread while it lives, which
    would make every later test's `asyncio.run` fail.
    """
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def media_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 1 s tone (WAV), a 96x64 gradient (PNG) and a 33-frame clip (MP4), as a person would pick them."""
    import numpy as np
    from PIL import Image

    from ltxserve.media import encode_audio

    folder = tmp_path_factory.mktemp("inputs")
    t = np.arange(16000) / 16000
    encode_audio((0.3 * np.sin(2 * np.pi * 300 * t))[None].astype(np.float32), 16000, folder / "tone.wav")
    x = np.linspace(0, 255, 96, dtype=np.uint8)
    pixels = np.stack([np.tile(x, (64, 1)), np.tile(x[::-1], (64, 1)), np.full((64, 96), 128, np.uint8)], -1)
    Image.fromarray(pixels).save(folder / "first-frame.png")
    (folder / "style.safetensors").write_bytes(b"not really a LoRA" * 64)
    from ..extend_assets import write_clip

    write_clip(folder / "clip.mp4", count=33)
    return {
        "video": folder / "clip.mp4",
        "audio": folder / "tone.wav",
        "image": folder / "first-frame.png",
        "lora": folder / "style.safetensors",
    }
