"""Submit-time memory check: refuse (422) a request no worker's GPU can hold under any profile.

The workers publish their memory plan (the model's part sizes and the device memory they planned for) with
their state; the API runs the torch-free memory model (engine/memory/peaks.py) on the request's shape. With no
worker reporting yet, requests are accepted (the worker checks again when it plans the job).
"""

from __future__ import annotations

from typing import Any

from ltxserve.endpoints.memory_fit import shape_for_input
from ltxserve.endpoints.registry import Endpoint, PlanError
from ltxserve.engine.memory.peaks import GIB, PartSizes, choose_profile, predict_peaks
from ltxserve.engine.memory.profiles import PROFILES
from ltxserve.jobs.records import JobFailure, model_error

LIVE_STATES = ("loading", "ready", "busy", "waiting")


def memory_failure(
    endpoint: Endpoint, body: dict[str, Any], workers: list[dict[str, Any]]
) -> JobFailure | None:
    """None when some live worker serving `endpoint` can fit the request under some profile."""
    plans = [
        (sizes, w["memory_plan"])
        for w in workers
        if w.get("memory_plan")
        and w.get("state") in LIVE_STATES
        and (w.get("endpoints") is None or endpoint.endpoint_id in w["endpoints"])
        and str(w["memory_plan"].get("device", "")).startswith("cuda")
        and (sizes := part_sizes(w["memory_plan"])) is not None
    ]
    if not plans:
        return None
    try:
        shape = shape_for_input(endpoint, body)
    except PlanError:
        return None  # the worker refuses it with the endpoint's own error when it plans the real inputs
    smallest = None
    for sizes, plan in plans:
        nbytes = 4 if plan.get("dtype") == "float32" else 2
        if choose_profile(sizes, shape, plan["budget_bytes"], nbytes) is not None:
            return None
        need = predict_peaks(sizes, shape, PROFILES[-1], nbytes).peak
        smallest = need if smallest is None else min(smallest, need)
    largest = max(plan["budget_bytes"] for _, plan in plans)
    assert smallest is not None
    msg = (
        f"This request needs about {smallest / GIB:.1f} GiB of GPU memory even with the most frugal memory "
        f"profile, more than this server's GPUs ({largest / GIB:.1f} GiB) can hold: lower video_size or "
        "num_frames."
    )
    ctx = {"needed_gib": round(smallest / GIB, 1), "available_gib": round(largest / GIB, 1)}
    failure = model_error("feature_not_supported", msg, ["body", "num_frames"], ctx=ctx)
    failure.body["detail"].append({**failure.body["detail"][0], "loc": ["body", "video_size"]})
    return failure


def part_sizes(plan: dict[str, Any]) -> PartSizes | None:
    """The plan's part sizes; None for a plan this version cannot read (a worker of another version during
    an upgrade, or a stale row): that worker is left out of the check rather than failing every submit."""
    try:
        return PartSizes(**plan["sizes"])
    except (KeyError, TypeError):
        return None
