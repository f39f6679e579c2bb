"""Why queued jobs wait: which endpoints no live worker serves, or whose workers are loading or busy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def wait_reasons(queued: Mapping[str, int], workers: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per endpoint with queued jobs: how many, and the reason none has started (for `/health`).

    `workers` are the store's rows with an `alive` flag; `endpoints` None means "serves everything".
    """
    live = [w for w in workers if w.get("alive")]
    reasons: dict[str, dict[str, Any]] = {}
    for endpoint, count in sorted(queued.items()):
        serving = [w for w in live if w.get("endpoints") is None or endpoint in w["endpoints"]]
        if not live:
            reason = "no worker is running"
        elif not serving:
            reason = "no live worker serves this endpoint"
        elif all(w["state"] == "loading" for w in serving):
            reason = "the workers that serve it are still loading"
        elif all(w["state"] == "busy" for w in serving):
            reason = "the workers that serve it are busy"
        else:
            reason = "about to be claimed"
        reasons[endpoint] = {"queued": count, "workers": len(serving), "reason": reason}
    return reasons
