"""A worker's memory plan: the device (`auto` → the first GPU), the dtype, and the placement profile chosen
from the device's free memory for the default request of every endpoint (docs/memory.md)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ltxserve.engine.memory.peaks import GIB, PartSizes, RequestShape, predict_peaks, usable_bytes
from ltxserve.engine.memory.profiles import PROFILES, placement_for

log = logging.getLogger("ltxserve.worker")
# Above this many transformer parameters a model is "real size": refused on the CPU unless allowed.
CPU_PARAMS_LIMIT = 2_000_000_000


class MemoryPlanError(ValueError):
    """The model cannot be placed on this device as configured (the message says why and what to do)."""


@dataclass(frozen=True)
class MemoryPlan:
    """What a worker decided at start; `to_json()` is what /health shows."""

    device: str
    dtype: str
    profile: str
    budget_bytes: int  # the device memory the plan was made for (free memory at start)
    peak_bytes: int  # the predicted peak of the heaviest default request under `profile`
    sizes: PartSizes

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "dtype": self.dtype,
            "profile": self.profile,
            "budget_gib": round(self.budget_bytes / GIB, 2),
            "budget_bytes": self.budget_bytes,
            "predicted_peak_gib": round(self.peak_bytes / GIB, 2),
            "placement": placement_for(self.profile).describe(),
            "sizes": asdict(self.sizes),
        }


def resolve_device(device: str) -> str:
    """`auto`: the first CUDA device when there is one, else the CPU."""
    if device != "auto":
        return device
    import torch

    return "cuda:0" if torch.cuda.is_available() else "cpu"


def resolve_dtype(dtype: str, device: str) -> str:
    """`auto`: bfloat16 on CUDA, float32 on the CPU (where bf16 matmuls are slow)."""
    if dtype != "auto":
        return dtype
    return "bfloat16" if device.startswith("cuda") else "float32"


def default_shapes() -> list[RequestShape]:
    """Each served endpoint's default request (stand-in media, 121 frames)."""
    from ltxserve.endpoints import ENDPOINTS
    from ltxserve.endpoints.memory_fit import default_payload, shape_for_input

    return [shape_for_input(endpoint, default_payload(endpoint)) for endpoint in ENDPOINTS.values()]


def plan_memory(
    model_dir: Path, device: str, memory: str = "auto", dtype: str = "auto", allow_cpu: bool = False
) -> MemoryPlan:
    """Choose the profile for `model_dir` on `device` (raises MemoryPlanError when it cannot run there)."""
    from ltxserve.engine.memory.sizes import model_dir_sizes

    device = resolve_device(device)
    dtype = resolve_dtype(dtype, device)
    sizes = model_dir_sizes(model_dir)
    nbytes = 4 if dtype == "float32" else 2
    if not device.startswith("cuda"):
        ram = (sizes.transformer + sizes.connectors + sizes.text_encoder + sizes.decoders) * nbytes
        if sizes.transformer > CPU_PARAMS_LIMIT and not allow_cpu:
            raise MemoryPlanError(
                f"refusing to load this {sizes.transformer / 1e9:.0f} B-parameter model on the CPU: it needs "
                f"≈ {ram / GIB:.0f} GiB of RAM in {dtype} and hours per video; use a CUDA device "
                "(--device cuda) or set LTXSERVE_ALLOW_CPU=true to load it anyway"
            )
        profile = "resident" if memory == "auto" else memory
        return MemoryPlan(device, dtype, profile, ram, ram, sizes)
    import torch

    budget, _ = torch.cuda.mem_get_info(torch.device(device))
    shapes = default_shapes()

    def heaviest(profile: str) -> int:
        return max(predict_peaks(sizes, shape, profile, nbytes).peak for shape in shapes)

    if memory != "auto":
        profile = memory
    else:
        fitting = [p for p in PROFILES if heaviest(p) <= usable_bytes(budget)]
        profile = fitting[0] if fitting else PROFILES[-1]
    plan = MemoryPlan(device, dtype, profile, budget, heaviest(profile), sizes)
    if plan.peak_bytes > usable_bytes(budget):
        log.warning(
            "memory plan %s predicts %.1f GiB for the default requests but %s has %.1f GiB free: "
            "large requests will be refused or fail",
            profile,
            plan.peak_bytes / GIB,
            device,
            budget / GIB,
        )
    return plan
