"""`ltxserve models fit`: the memory model applied to one endpoint request on a device of a given size."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ltxserve.engine.memory import GIB, choose_profile, predict_peaks, usable_bytes
from ltxserve.engine.memory_shape import shape_for_input
from ltxserve.engine.placement_profiles import PROFILES, placement_for

if TYPE_CHECKING:
    from ltxserve.endpoints.registry import Endpoint


def fit_report(
    endpoint: Endpoint,
    payload: dict[str, Any],
    gpu_memory_gib: float,
    *,
    model: Path | None = None,
    preset: str | None = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """One JSON object: the profile auto picks (or `profile`), whether it fits, its peak and stage peaks."""
    from ltxserve.engine.model_sizes import model_dir_sizes, preset_sizes

    if profile is not None and profile != "auto":
        placement_for(profile)  # refuses unknown names
    sizes = model_dir_sizes(model) if model is not None else preset_sizes(preset or "")
    budget = int(gpu_memory_gib * GIB)
    payload = dict(payload)
    if "loras" in endpoint.input_model.model_fields and "loras" not in payload:
        payload["loras"] = []
    if "prompt" in endpoint.input_model.model_fields and "prompt" not in payload:
        payload["prompt"] = "a prompt"
    shape = shape_for_input(endpoint, payload)
    every = {name: predict_peaks(sizes, shape, name) for name in PROFILES}
    if profile is None or profile == "auto":
        chosen = choose_profile(sizes, shape, budget) or every[PROFILES[-1]]
    else:
        chosen = every[profile]
    return {
        "endpoint": endpoint.endpoint_id,
        "gpu_memory_gib": gpu_memory_gib,
        "usable_gib": round(usable_bytes(budget) / GIB, 2),
        "request": {
            "width": shape.width if shape.video else 0,
            "height": shape.height if shape.video else 0,
            "num_frames": shape.num_frames,
            "two_stage": shape.two_stage,
            "guidance_passes": shape.passes,
            "distilled_lora": shape.distilled_lora,
        },
        **chosen.to_json(budget),
        "profiles": {name: round(estimate.peak / GIB, 2) for name, estimate in every.items()},
    }
