"""Two API hosts and two GPU-less worker hosts sharing only PostgreSQL and S3, driven by the official client."""

from __future__ import annotations

import concurrent.futures
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fal_client
import httpx
import pytest

from ltxserve.endpoints import ENDPOINTS
from ltxserve.testing.webhooks import WebhookReceiver

from .hosts import KEY, Deployment, pointed_at

pytestmark = pytest.mark.timeout(300)
T2V = "fal-ai/ltx-2.3-22b/text-to-video/lora"
T2A = "fal-ai/ltx-2.3-quality/text-to-audio"
A2V = "fal-ai/ltx-2.3-22b/audio-to-video"
TINY_ONLY = "fal-ai/ltx-2.3-quality/text-to-audio/lora"


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    hooks = WebhookReceiver()
    yield hooks
    hooks.close()


@pytest.fixture(scope="module")
def deployment(
    postgres: Any, s3_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    url = postgres.create_database(f"hosts_{uuid.uuid4().hex[:8]}", template="ltxserve_template")
    env = {
        "LTXSERVE_DATABASE_URL": url,
        "LTXSERVE_STORAGE_URL": f"s3://{s3_server.bucket}/hosts-{uuid.uuid4().hex[:6]}",
        "LTXSERVE_RUNNER": "fake",
        "LTXSERVE_FAKE_STEP_S": "0.1",
        "LTXSERVE_LEASE_S": "3",
        "LTXSERVE_HEARTBEAT_S": "0.3",
        "LTXSERVE_POLL_INTERVAL_S": "0.05",
        "LTXSERVE_FETCH_ALLOW_HOSTS": "127.0.0.1",  # the test's webhook receiver
        "LTXSERVE_WEBHOOK_BACKOFF_SCALE": "0.01",
    }
    hosts = Deployment(tmp_path_factory.mktemp("hosts"), env)
    try:
        hosts.start_api()
        hosts.start_api()
        # The fake workers serve every endpoint but one, which waits for a host with the real engine.
        fake_serves = ",".join(e for e in ENDPOINTS if e != TINY_ONLY)
        hosts.env["LTXSERVE_WORKER_ENDPOINTS"] = fake_serves
        hosts.start_worker("gpu-a")
        hosts.start_worker("gpu-b")
        _wait(lambda: sum(w["alive"] for w in _health(hosts, 0)["workers"]) == 2, "both workers ready")
        yield hosts
    finally:
        hosts.stop()


@pytest.fixture
def client() -> fal_client.SyncClient:
    return fal_client.SyncClient(key=KEY)


def _health(hosts: Deployment, api: int) -> dict[str, Any]:
    return httpx.get(f"{hosts.apis[api].base_url}/health", headers={"Authorization": f"Key {KEY}"}).json()


def _wait(check: Any, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _wait_completed(
    client: fal_client.SyncClient, endpoint: str, request_id: str, what: str, timeout_s: float = 60.0
) -> None:
    """Until the API the client points at reports the job COMPLETED (done, failed or cancelled)."""
    _wait(lambda: isinstance(client.status(endpoint, request_id), fal_client.Completed), what, timeout_s)


def _running_on(hosts: Deployment, request_id: str) -> str | None:
    for worker in _health(hosts, 1)["workers"]:
        if worker.get("current_job") == request_id and worker["state"] == "busy":
            return str(worker["worker_id"])
    return None


def test_a_job_submitted_to_one_api_is_read_and_downloaded_through_the_other(
    deployment: Deployment, client: fal_client.SyncClient, receiver: WebhookReceiver
) -> None:
    a, b = (api.base_url for api in deployment.apis)
    with pointed_at(a):
        handle = client.submit(T2A, {"prompt": "a bell"}, webhook_url=receiver.url)
    with pointed_at(b):
        _wait_completed(client, T2A, handle.request_id, "completion")
        result = client.result(T2A, handle.request_id)
    audio = result["audio"]["url"]
    assert audio.startswith(a)  # built on the base URL the client used
    other_host = audio.replace(a, b)  # any API host serves it: the bytes are in the bucket
    got = httpx.get(other_host, headers={"Authorization": f"Key {KEY}"}, follow_redirects=True)
    assert got.status_code == 200
    assert got.content.startswith(b"RIFF")
    receiver.wait_for(handle.request_id)
    assert receiver.delivered()[handle.request_id] == 1


def test_hosts_share_upload_tokens_files_and_the_webhook_key(
    deployment: Deployment, client: fal_client.SyncClient, tmp_path: Path
) -> None:
    a, b = (api.base_url for api in deployment.apis)
    jwks = [httpx.get(f"{base}/.well-known/jwks.json").json() for base in (a, b)]
    assert jwks[0] == jwks[1]  # receivers verify signatures from either host
    wav = tmp_path / "tone.wav"
    wav.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28))
    with pointed_at(a):
        audio_url = client.upload_file(wav)
    with pointed_at(b):  # the upload, in the bucket, is an input for a job taken by any worker
        output = client.subscribe(A2V, {"prompt": "a speaker", "audio_url": audio_url})
    assert output["video"]["url"].startswith(b)


def test_a_worker_killed_mid_job_has_it_finished_once_by_the_other(
    deployment: Deployment, client: fal_client.SyncClient, receiver: WebhookReceiver
) -> None:
    with pointed_at(deployment.apis[0].base_url):
        handle = client.submit(
            T2V, {"prompt": "slow", "loras": [], "num_inference_steps": 40}, webhook_url=receiver.url
        )
    _wait(lambda: _running_on(deployment, handle.request_id) is not None, "the job to start")
    owner = [_running_on(deployment, handle.request_id) or ""]
    deployment.kill_worker(owner[0])  # kill -9: no goodbye, no lease release
    with pointed_at(deployment.apis[1].base_url):
        _wait_completed(client, T2V, handle.request_id, "the other worker to finish it", timeout_s=90)
        result = client.result(T2V, handle.request_id)
        logs = client.status(T2V, handle.request_id, with_logs=True).logs or []
    assert result["video"]["url"]
    assert any("stopped responding" in line["message"] for line in logs)
    receiver.wait_for(handle.request_id)
    time.sleep(1.0)  # a duplicate delivery would arrive within the dispatchers' next rounds
    assert receiver.delivered()[handle.request_id] == 1
    assert receiver.bodies(handle.request_id)[0]["status"] == "OK"
    survivor = "gpu-b" if owner[0] == "gpu-a" else "gpu-a"
    deployment.start_worker(owner[0])  # back to two workers for the next tests
    assert deployment.workers[survivor].poll() is None


def test_cancel_through_one_api_stops_a_job_submitted_to_the_other(
    deployment: Deployment, client: fal_client.SyncClient
) -> None:
    with pointed_at(deployment.apis[0].base_url):
        handle = client.submit(T2V, {"prompt": "long", "loras": [], "num_inference_steps": 50})
    _wait(lambda: _running_on(deployment, handle.request_id) is not None, "start")
    with pointed_at(deployment.apis[1].base_url):
        client.cancel(T2V, handle.request_id)
        _wait_completed(client, T2V, handle.request_id, "the cancel")
        with pytest.raises(fal_client.client.FalClientHTTPError) as info:
            client.result(T2V, handle.request_id)
    assert info.value.status_code == 499


def test_an_api_killed_mid_burst_loses_no_acknowledged_job(
    deployment: Deployment, client: fal_client.SyncClient, tmp_path: Path
) -> None:
    victim = deployment.start_api()
    acknowledged: list[str] = []

    def submit(i: int) -> str | None:
        try:
            with httpx.Client(headers={"Authorization": f"Key {KEY}"}, timeout=10) as http:
                reply = http.post(f"{victim.base_url}/queue/{T2A}", json={"prompt": f"burst {i}"})
            return str(reply.json()["request_id"]) if reply.status_code == 200 else None
        except httpx.HTTPError:
            return None  # not acknowledged: the client would retry

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(submit, i) for i in range(60)]
        _wait(lambda: sum(f.done() for f in futures) >= 15, "part of the burst")
        victim.proc.kill()  # kill -9 while requests are in flight
        acknowledged = [rid for f in futures if (rid := f.result())]
    assert 15 <= len(acknowledged) < 60
    with pointed_at(deployment.apis[0].base_url):
        for request_id in acknowledged:
            _wait_completed(client, T2A, request_id, f"job {request_id}", timeout_s=120)
            assert client.result(T2A, request_id)["audio"]["url"]


def test_a_job_waits_for_a_host_that_serves_its_endpoint_then_runs_on_the_real_engine(
    deployment: Deployment, client: fal_client.SyncClient, tiny_model_dir: Path
) -> None:
    with pointed_at(deployment.apis[0].base_url):
        small = {"num_frames": 24, "frames_per_second": 24, "num_inference_steps": 8, "seed": 3}
        handle = client.submit(TINY_ONLY, {"prompt": "a bell rings", "loras": [], **small})
        time.sleep(1.0)  # two idle workers had every chance to take it
        assert isinstance(client.status(TINY_ONLY, handle.request_id), fal_client.Queued)
    waiting = _health(deployment, 1)["waiting"][TINY_ONLY]
    assert waiting["reason"] == "no live worker serves this endpoint"
    deployment.start_worker(
        "gpu-tiny",
        LTXSERVE_RUNNER="engine",
        LTXSERVE_MODEL_DIR=str(tiny_model_dir),
        LTXSERVE_WORKER_ENDPOINTS=TINY_ONLY,
        LTXSERVE_LEASE_S="60",
    )
    with pointed_at(deployment.apis[1].base_url):
        _wait_completed(client, TINY_ONLY, handle.request_id, "the tiny-model worker", timeout_s=240)
        output = client.result(TINY_ONLY, handle.request_id)
    audio = httpx.get(output["audio"]["url"], headers={"Authorization": f"Key {KEY}"}, follow_redirects=True)
    assert audio.status_code == 200
    assert len(audio.content) > 1000
    assert audio.headers["content-type"].startswith("audio/")
    [tiny] = [w for w in _health(deployment, 0)["workers"] if w["worker_id"] == "gpu-tiny"]
    assert tiny["endpoints"] == [TINY_ONLY]
