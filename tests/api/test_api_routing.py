"""Routing by capability: a worker claims only the endpoints it serves; /health says why a job waits."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ..fake_inputs import INPUTS
from .api_harness import T2A

pytestmark = pytest.mark.timeout(60)
A2V = "fal-ai/ltx-2.3-22b/audio-to-video"


def test_a_job_no_worker_serves_waits_and_health_says_why(make_harness: Any) -> None:
    harness = make_harness(workers=0)
    harness.start_worker(worker_endpoints=["fal-ai/ltx-2.3-22b/*"])
    audio = harness.client.post(f"/queue/{T2A}", json=INPUTS[T2A]).json()
    video = harness.client.post(f"/queue/{A2V}", json=INPUTS[A2V]).json()
    assert harness.wait(video)["status"] == "COMPLETED"
    time.sleep(0.3)  # the worker has had many chances to claim the other job
    status = harness.client.get(harness.path(audio["status_url"])).json()
    assert status["status"] == "IN_QUEUE"
    health = harness.client.get("/health").json()
    assert health["waiting"][T2A] == {
        "queued": 1,
        "workers": 0,
        "reason": "no live worker serves this endpoint",
    }
    [worker] = health["workers"]
    assert T2A not in worker["endpoints"]
    assert A2V in worker["endpoints"]
    metrics = harness.client.get("/metrics").text
    assert f'ltxserve_queue_depth{{endpoint="{T2A}"}} 1.0' in metrics
    assert 'ltxserve_host_workers{host="' in metrics
    harness.start_worker()  # a worker that serves everything picks it up
    assert harness.wait(audio)["status"] == "COMPLETED"
    assert harness.client.get("/health").json()["waiting"] == {}
