"""The official Python `fal-client` (1.0.3), unmodified, against a live server over plain http."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fal_client
import fal_client.client as fc
import pytest

from ..fake_inputs import INPUTS, WAV_URI
from .live_server import KEY, OTHER_KEY, LiveServer

pytestmark = pytest.mark.timeout(120)
T2A = "fal-ai/ltx-2.3-quality/text-to-audio"
A2V = "fal-ai/ltx-2.3-22b/audio-to-video"


@pytest.fixture(autouse=True)
def pointed_at(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The README's snippet: rebind the module's URL constants (https is fixed otherwise)."""
    base = live_server.base_url
    monkeypatch.setattr(fc, "RUN_URL_FORMAT", f"{base}/run/")
    monkeypatch.setattr(fc, "QUEUE_URL_FORMAT", f"{base}/queue/")
    monkeypatch.setattr(fc, "REST_URL", f"{base}/rest")
    monkeypatch.setattr(fc, "CDN_URL", f"{base}/cdn")
    monkeypatch.setenv("FAL_KEY", KEY)
    yield


@pytest.fixture
def client() -> fal_client.SyncClient:
    return fal_client.SyncClient(key=KEY)


def _field(app_id: str) -> str:
    return "audio" if "text-to-audio" in app_id else "video"


@pytest.mark.parametrize("app_id", sorted(INPUTS))
def test_subscribe_with_logs_and_queue_updates(client: fal_client.SyncClient, app_id: str) -> None:
    updates: list[object] = []
    result = client.subscribe(
        app_id, arguments=INPUTS[app_id], with_logs=True, on_queue_update=updates.append
    )
    assert result[_field(app_id)]["url"].startswith("http://127.0.0.1")
    logs = [
        log["message"]
        for u in updates
        if isinstance(u, fal_client.InProgress | fal_client.Completed)
        for log in (u.logs or [])
    ]
    assert any("step" in message for message in logs)
    assert isinstance(updates[-1], fal_client.Completed)


@pytest.mark.parametrize("app_id", sorted(INPUTS))
def test_submit_status_result_and_run(client: fal_client.SyncClient, app_id: str) -> None:
    handle = client.submit(app_id, arguments=INPUTS[app_id])
    assert isinstance(
        handle.status(with_logs=True), fal_client.Queued | fal_client.InProgress | fal_client.Completed
    )
    output = handle.get()
    assert client.result(app_id, handle.request_id) == output
    completed = client.status(app_id, handle.request_id, with_logs=True)
    assert isinstance(completed, fal_client.Completed)
    assert completed.metrics["inference_time"] > 0
    assert _field(app_id) in client.run(app_id, arguments=INPUTS[app_id])


def test_module_level_functions_use_fal_key(live_server: LiveServer) -> None:
    output = fal_client.subscribe(T2A, arguments={"prompt": "hi"})
    assert output["prompt"] == "hi"


def test_cancel_surfaces_as_an_error_on_result(client: fal_client.SyncClient) -> None:
    handle = client.submit(T2A, arguments={"prompt": "long", "num_inference_steps": 8})
    handle.cancel()
    with pytest.raises(fal_client.client.FalClientHTTPError) as info:
        handle.get()
    assert info.value.status_code == 499
    assert info.value.error_type == "client_cancelled"


def test_upload_file_then_use_it_as_audio_url(client: fal_client.SyncClient, tmp_path: Path) -> None:
    path = tmp_path / "voice.wav"
    path.write_bytes(b"RIFF" + bytes(100))
    url = client.upload_file(path)
    output = client.subscribe(A2V, arguments={"prompt": "x", "audio_url": url})
    assert output["video"]["content_type"] == "video/mp4"


def test_multipart_and_fallback_uploads(
    client: fal_client.SyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fc, "MULTIPART_THRESHOLD", 1000)
    monkeypatch.setattr(fc, "MULTIPART_CHUNK_SIZE", 400)
    data = bytes(range(256)) * 6
    multipart_url = client.upload(data, "audio/wav", "big.wav")
    fallback_url = client.upload(b"small", "audio/wav", "small.wav", repository="fal")
    for url, expected in ((multipart_url, data), (fallback_url, b"small")):
        import httpx

        assert httpx.get(url, headers={"Authorization": f"Key {KEY}"}).content == expected


def test_data_uri_input_and_sync_mode(client: fal_client.SyncClient) -> None:
    output = client.run(
        A2V,
        arguments={
            "prompt": "x",
            "audio_url": fal_client.encode(b"RIFF" + bytes(10), "audio/wav"),
            "sync_mode": True,
        },
    )
    assert output["video"]["url"].startswith("data:video/mp4;base64,")
    assert client.run(A2V, arguments={"prompt": "x", "audio_url": WAV_URI})["video"]["url"].startswith("http")


def test_validation_error_is_raised_with_fal_detail(client: fal_client.SyncClient) -> None:
    with pytest.raises(fal_client.client.FalClientHTTPError) as info:
        client.submit(T2A, arguments={"prompt": "x", "num_inference_steps": 10**6})
    assert info.value.status_code == 422
    assert info.value.message[0]["loc"] == ["body", "num_inference_steps"]


def test_wrong_key_and_other_keys_job(live_server: LiveServer) -> None:
    with pytest.raises(fal_client.client.FalClientHTTPError) as info:
        fal_client.SyncClient(key="wrong-key-0123456789").run(T2A, arguments={"prompt": "x"})
    assert info.value.status_code == 401
    handle = fal_client.SyncClient(key=KEY).submit(T2A, arguments={"prompt": "x"})
    with pytest.raises(fal_client.client.FalClientHTTPError) as other:
        fal_client.SyncClient(key=OTHER_KEY).status(T2A, handle.request_id)
    assert other.value.status_code == 404
