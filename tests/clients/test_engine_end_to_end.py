"""The real engine behind the API: `serve --model <tiny model>` driven by the official Python client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fal_client
import fal_client.client as fc
import httpx
import pytest
from live_server import KEY, LiveServer, start_server, stop_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def engine_server(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(
        tmp_path_factory.mktemp("engine") / "data",
        ready_timeout_s=400,  # the worker loads the model first
        LTXSERVE_RUNNER="engine",
        LTXSERVE_MODEL_DIR=str(tiny_model_dir),
        LTXSERVE_LEASE_S="60",
    )
    yield server
    stop_server(server)


@pytest.fixture
def client(engine_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> fal_client.SyncClient:
    base = engine_server.base_url
    monkeypatch.setattr(fc, "RUN_URL_FORMAT", f"{base}/run/")
    monkeypatch.setattr(fc, "QUEUE_URL_FORMAT", f"{base}/queue/")
    monkeypatch.setattr(fc, "REST_URL", f"{base}/rest")
    monkeypatch.setattr(fc, "CDN_URL", f"{base}/cdn")
    return fal_client.SyncClient(key=KEY)


def test_text_to_audio_through_the_queue(client: fal_client.SyncClient) -> None:
    updates: list[object] = []
    output = client.subscribe(
        "fal-ai/ltx-2.3-quality/text-to-audio",
        arguments={"prompt": "a bell rings", "num_frames": 9, "num_inference_steps": 8, "seed": 1},
        with_logs=True,
        on_queue_update=updates.append,
    )
    audio = output["audio"]
    data = httpx.get(audio["url"], headers={"Authorization": f"Key {KEY}"}).content
    assert len(data) == audio["file_size"] > 0 and output["seed"] == 1
    logs = [line["message"] for u in updates for line in (getattr(u, "logs", None) or [])]
    assert any("step" in message for message in logs)


def test_text_to_video_sync_mode(client: fal_client.SyncClient) -> None:
    output = client.run(
        "fal-ai/ltx-2.3-22b/text-to-video/lora",
        arguments={
            "prompt": "a cowboy",
            "loras": [],
            "num_frames": 9,
            "num_inference_steps": 8,
            "video_size": {"width": 64, "height": 64},
            "use_multiscale": False,
            "sync_mode": True,
        },
    )
    video = output["video"]
    assert video["url"].startswith("data:video/mp4;base64,") and video["width"] == 64
