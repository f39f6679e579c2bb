"""Queue routes per the protocol: submit, status with logs, stream, result, cancel, errors, headers."""

from __future__ import annotations

import json
import time

import pytest

from ..fake_inputs import INPUTS
from .api_harness import T2A, Harness

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("app_id", sorted(INPUTS))
def test_submit_status_result_for_every_endpoint(harness: Harness, app_id: str) -> None:
    submitted = harness.client.post(f"/queue/{app_id}", json=INPUTS[app_id])
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["status"] == "IN_QUEUE"
    assert isinstance(body["queue_position"], int)
    owner_alias = "/".join(app_id.split("/")[:2])
    assert body["status_url"] == f"http://testserver/queue/{owner_alias}/requests/{body['request_id']}/status"
    assert submitted.headers["x-fal-request-id"] == body["request_id"]
    final = harness.wait(body)
    assert final["metrics"]["inference_time"] > 0
    assert "error" not in final
    with_logs = harness.client.get(harness.path(body["status_url"]), params={"logs": "true"}).json()
    assert any("step 8/8" in line["message"] for line in with_logs["logs"])
    assert {"message", "level", "source", "timestamp"} <= set(with_logs["logs"][0])
    result = harness.client.get(harness.path(body["response_url"]))
    assert result.status_code == 200
    assert result.headers["x-fal-request-id"] == body["request_id"]
    field = "audio" if "text-to-audio" in app_id else "video"
    output = result.json()
    assert output["prompt"] == INPUTS[app_id]["prompt"]
    assert output[field]["file_size"] > 0
    assert harness.client.get(harness.path(output[field]["url"])).status_code == 200


def test_status_codes_and_queue_position_while_waiting(make_harness) -> None:  # type: ignore[no-untyped-def]
    h = make_harness(workers=0)
    first = h.client.post(f"/queue/{T2A}", json={"prompt": "a"}).json()
    second = h.client.post(f"/queue/{T2A}", json={"prompt": "b"}).json()
    low = h.client.post(f"/queue/{T2A}", json={"prompt": "c"}, headers={"x-fal-queue-priority": "low"}).json()
    third = h.client.post(f"/queue/{T2A}", json={"prompt": "d"}).json()
    status = h.client.get(h.path(second["status_url"]))
    assert status.status_code == 202
    assert status.json()["queue_position"] == 1
    assert h.client.get(h.path(low["status_url"])).json()["queue_position"] == 3
    assert h.client.get(h.path(third["status_url"])).json()["queue_position"] == 2
    assert h.client.get(h.path(first["response_url"])).status_code == 400  # not finished yet
    h.start_worker()
    assert h.client.get(h.path(h.wait(low)["status_url"])).status_code == 200


def test_stream_sends_status_events_and_closes_after_completion(harness: Harness) -> None:
    submitted = harness.client.post(f"/queue/{T2A}", json={"prompt": "a"}).json()
    url = harness.path(submitted["status_url"]) + "/stream"
    events = []
    with harness.client.stream("GET", url, params={"logs": "1"}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    assert events[-1]["status"] == "COMPLETED"
    messages = [line["message"] for event in events for line in (event["logs"] or [])]
    assert len(messages) == len(set(messages))  # each event carries only new lines
    assert "denoise: step 8/8" in messages


def test_cancel_queued_job_at_once(make_harness) -> None:  # type: ignore[no-untyped-def]
    h = make_harness(workers=0)
    submitted = h.client.post(f"/queue/{T2A}", json={"prompt": "a"}).json()
    cancel = h.client.put(h.path(submitted["cancel_url"]))
    assert cancel.status_code == 202
    assert cancel.json() == {"status": "CANCELLATION_REQUESTED"}
    status = h.client.get(h.path(submitted["status_url"])).json()
    assert status["status"] == "COMPLETED"
    assert status["error_type"] == "client_cancelled"
    result = h.client.get(h.path(submitted["response_url"]))
    assert result.status_code == 499
    assert result.headers["x-fal-error-type"] == "client_cancelled"
    again = h.client.put(h.path(submitted["cancel_url"]))
    assert again.status_code == 400
    assert again.json() == {"status": "ALREADY_COMPLETED"}
    missing = h.client.put("/queue/fal-ai/ltx-2.3-quality/requests/nope/cancel")
    assert missing.status_code == 404
    assert missing.json() == {"status": "NOT_FOUND"}


def test_cancel_running_job_stops_within_a_step(make_harness) -> None:  # type: ignore[no-untyped-def]
    h = make_harness(workers=1, fake_step_s=0.2)
    submitted = h.client.post(f"/queue/{T2A}", json={"prompt": "a", "num_inference_steps": 8}).json()
    for _ in range(200):
        if h.client.get(h.path(submitted["status_url"])).json()["status"] == "IN_PROGRESS":
            break
        time.sleep(0.01)
    assert h.client.put(h.path(submitted["cancel_url"])).status_code == 202
    final = h.wait(submitted, timeout_s=5)
    assert final["error_type"] == "client_cancelled"
    logs = h.client.get(h.path(submitted["status_url"]), params={"logs": 1}).json()["logs"]
    assert not any("step 8/8" in line["message"] for line in logs)


def test_validation_error_in_fal_shape(harness: Harness) -> None:
    bad = harness.client.post(
        "/queue/fal-ai/ltx-2.3-22b/text-to-video/lora",
        json={"prompt": "x", "loras": [], "num_frames": 10**6, "video_output_type": "AVI"},
    )
    assert bad.status_code == 422
    assert "x-fal-request-id" in bad.headers
    detail = {tuple(item["loc"]): item for item in bad.json()["detail"]}
    assert detail[("body", "num_frames")]["type"] == "less_than"
    assert detail[("body", "video_output_type")]["type"] == "one_of"
    missing = harness.client.post(f"/queue/{T2A}", json={}).json()["detail"]
    assert missing[0]["loc"] == ["body", "prompt"]
    assert missing[0]["type"] == "missing"
    not_json = harness.client.post(
        f"/queue/{T2A}", content=b"[1", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422


def test_unknown_app_and_unknown_request_are_404_with_request_id(harness: Harness) -> None:
    unknown = harness.client.post("/queue/fal-ai/flux/dev", json={"prompt": "x"})
    assert unknown.status_code == 404
    assert unknown.json()["error_type"] == "not_found"
    assert unknown.headers["x-fal-error-type"] == "not_found"
    assert unknown.headers["x-fal-request-id"]
    status = harness.client.get("/queue/fal-ai/ltx-2.3-quality/requests/nope/status")
    assert status.status_code == 404
    assert status.headers["x-fal-request-id"]


def test_start_timeout_answers_504_user(make_harness) -> None:  # type: ignore[no-untyped-def]
    h = make_harness(workers=0)
    submitted = h.client.post(
        f"/queue/{T2A}", json={"prompt": "a"}, headers={"x-fal-request-timeout": "0.05"}
    ).json()
    time.sleep(0.1)
    result = h.client.get(h.path(submitted["response_url"]))
    assert result.status_code == 504
    assert result.headers["x-fal-request-timeout-type"] == "user"
    assert result.json()["error_type"] == "request_timeout"


def test_engine_crash_fails_that_job_and_the_worker_serves_the_next(harness: Harness) -> None:
    crashed = harness.client.post(f"/queue/{T2A}", json={"prompt": "fake:crash"}).json()
    fine = harness.client.post(f"/queue/{T2A}", json={"prompt": "fine"}).json()
    assert harness.wait(crashed)["error_type"] == "internal_server_error"
    result = harness.client.get(harness.path(crashed["response_url"]))
    assert result.status_code == 500
    assert result.headers["x-fal-retryable"] == "true"
    assert "error" not in harness.wait(fine)


def test_download_failure_names_the_field(harness: Harness) -> None:
    app = "fal-ai/ltx-2.3-22b/audio-to-video"
    submitted = harness.client.post(
        f"/queue/{app}", json={"prompt": "x", "audio_url": "http://127.0.0.1:9/a.wav"}
    ).json()
    assert harness.wait(submitted)["error_type"] == "file_download_error"
    result = harness.client.get(harness.path(submitted["response_url"]))
    assert result.status_code == 422
    assert result.headers["x-fal-retryable"] == "false"
    [item] = result.json()["detail"]
    assert item["loc"] == ["body", "audio_url"]
    assert item["type"] == "file_download_error"
