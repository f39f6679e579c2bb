"""The real engine behind the API: `serve --model <tiny model>` driven by the official Python client."""

from __future__ import annotations

from pathlib import Path

import fal_client
import fal_client.client as fc
import httpx
import pytest

from .live_server import KEY, LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


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
    assert len(data) == audio["file_size"] > 0
    assert output["seed"] == 1
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
    assert video["url"].startswith("data:video/mp4;base64,")
    assert video["width"] == 64


SMALL_VIDEO = {"num_frames": 9, "num_inference_steps": 8, "enable_prompt_expansion": False, "seed": 4}


@pytest.fixture(scope="module")
def voice_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import numpy as np

    from ltxserve.media import encode_audio

    t = np.arange(16000) / 16000
    path = tmp_path_factory.mktemp("assets") / "voice.wav"
    encode_audio((0.3 * np.sin(2 * np.pi * 300 * t))[None].astype(np.float32), 16000, path)
    return path


def test_text_to_audio_lora_with_an_uploaded_lora(
    client: fal_client.SyncClient, tiny_model_dir: Path
) -> None:
    lora = next(tiny_model_dir.glob("*distilled-lora*.safetensors"))
    url = client.upload_file(lora)
    output = client.subscribe(
        "fal-ai/ltx-2.3-quality/text-to-audio/lora",
        arguments={"prompt": "rain", "num_frames": 12, "num_inference_steps": 8, "loras": [{"path": url}]},
    )
    assert output["audio"]["content_type"] == "audio/wav"
    assert output["audio"]["duration"] == pytest.approx(0.5, abs=1e-3)


def test_quality_audio_to_video_with_an_uploaded_track(
    client: fal_client.SyncClient, voice_wav: Path
) -> None:
    audio_url = client.upload_file(voice_wav)
    output = client.subscribe(
        "fal-ai/ltx-2.3-quality/audio-to-video/lora",
        arguments={
            "prompt": "a singer",
            "audio_url": audio_url,
            "loras": [],
            "resolution": {"width": 128, "height": 64},
            **SMALL_VIDEO,
        },
    )
    video = output["video"]
    # match_audio_length (default on): 1 s at 24 fps → 25 frames.
    assert (video["width"], video["height"], video["num_frames"]) == (128, 64, 25)


def test_22b_audio_to_video_with_data_uri_inputs(client: fal_client.SyncClient, voice_wav: Path) -> None:
    import base64

    audio_uri = "data:audio/wav;base64," + base64.b64encode(voice_wav.read_bytes()).decode()
    handle = client.submit(
        "fal-ai/ltx-2.3-22b/audio-to-video",
        arguments={
            "prompt": "a singer",
            "audio_url": audio_uri,
            "video_size": {"width": 64, "height": 64},
            "use_multiscale": False,
            "match_audio_length": False,
            **SMALL_VIDEO,
        },
    )
    output = handle.get()
    assert output["video"]["num_frames"] == 9
    assert output["seed"] == 4
    assert isinstance(handle.status(with_logs=True), fal_client.Completed)
