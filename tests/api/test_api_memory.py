"""Submit-time memory check: a request no worker's GPU can hold under any profile gets a 422 at once."""

from __future__ import annotations

from typing import Any

import pytest

from ltxserve.engine.memory.peaks import GIB
from ltxserve.engine.memory.sizes import preset_sizes
from ltxserve.worker.memory_plan import MemoryPlan

from .api_harness import Harness

pytestmark = pytest.mark.timeout(120)
T2V = "fal-ai/ltx-2.3-22b/text-to-video/lora"


def report(h: Harness, gib: float, device: str = "cuda:0") -> None:
    plan = MemoryPlan(device, "bfloat16", "minimal", int(gib * GIB), 0, preset_sizes("ltx-2.3-22b"))
    store = h.client.app.state.ltx.store  # type: ignore[attr-defined]
    store.worker_state("gpu-worker", 1, device, "ready", None, [T2V], memory_plan=plan.to_json())


def test_a_request_that_fits_no_profile_is_refused_naming_the_size_fields(make_harness: Any) -> None:
    h: Harness = make_harness(workers=0)
    report(h, 24)
    response = h.client.post(f"/queue/{T2V}", json={"prompt": "a cowboy", "loras": [], "num_frames": 481})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [item["loc"] for item in detail] == [["body", "num_frames"], ["body", "video_size"]]
    assert "GiB of GPU memory" in detail[0]["msg"] and detail[0]["ctx"]["available_gib"] == 24.0
    fine = h.client.post(f"/queue/{T2V}", json={"prompt": "a cowboy", "loras": []})  # 121 frames fit 24 GiB
    assert fine.status_code == 200 and fine.json()["status"] == "IN_QUEUE"


def test_without_gpu_workers_reporting_requests_are_accepted(make_harness: Any) -> None:
    h: Harness = make_harness(workers=0)
    report(h, 24, device="cpu")  # a CPU worker's RAM is not a GPU budget
    response = h.client.post(f"/queue/{T2V}", json={"prompt": "a cowboy", "loras": [], "num_frames": 481})
    assert response.status_code == 200


def test_a_plan_from_another_version_is_left_out_not_a_500(make_harness: Any) -> None:
    h: Harness = make_harness(workers=0)
    plan = MemoryPlan("cuda:0", "bfloat16", "minimal", 24 * GIB, 0, preset_sizes("ltx-2.3-22b")).to_json()
    del plan["sizes"]["video_spatial_scale"]  # what an older worker publishes
    plan["sizes"]["a_field_from_a_newer_version"] = 1
    store = h.client.app.state.ltx.store  # type: ignore[attr-defined]
    store.worker_state("old-worker", 1, "cuda:0", "ready", None, [T2V], memory_plan=plan)
    response = h.client.post(f"/queue/{T2V}", json={"prompt": "a cowboy", "loras": [], "num_frames": 481})
    assert response.status_code == 200
    assert response.json()["status"] == "IN_QUEUE"
