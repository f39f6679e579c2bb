"""Per-step operator counts from the PyTorch profiler: what a denoising step launches and where it syncs.

Shared by `bench_step_ops.py` (tiny model on CPU) and `gpu_check.py`. A step's counts are the difference
between a run with `long` steps and one with `short` steps, divided by the step difference, so text
encoding, decoding and the per-request setup cancel out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import torch
from torch.profiler import ProfilerActivity, profile

# Reading a device value on the host (`.item()`, `bool(t)`, `float(t)`, `nonzero`) waits for the device: a
# host sync on a GPU. Counted when called from Python, not inside another operator (CPU kernels such as
# `aten::std` read scalars internally; on a GPU they do not sync).
SYNC_OPS = {"aten::_local_scalar_dense", "aten::nonzero"}
_SYNC_WRAPPERS = {"aten::item", "aten::is_nonzero"}


def _is_sync(event) -> bool:
    if event.name not in SYNC_OPS:
        return False
    parent = event.cpu_parent
    while parent is not None and parent.name in _SYNC_WRAPPERS:
        parent = parent.cpu_parent
    return parent is None or not parent.name.startswith("aten::")


def _counts(engine, request) -> Counter:
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        engine.generate(request)
    counts: Counter = Counter()
    events = [e for e in prof.events() if e.name.startswith("aten::")]
    # A leaf operator (no aten operator inside it) is what reaches a kernel: the launch count proxy.
    parents = {id(e.cpu_parent) for e in events if e.cpu_parent is not None}
    for event in events:
        counts["ops"] += 1
        if id(event) not in parents:
            counts["leaf_ops"] += 1
        if _is_sync(event):
            counts["host_syncs"] += 1
    return counts


def step_counts(engine, request, short: int = 2, long: int = 4) -> dict[str, float]:
    """Operators, leaf operators (≈ kernel launches) and host syncs per denoising step of `request`."""
    with torch.inference_mode():
        engine.generate(replace(request, num_inference_steps=short))  # warm-up: caches, lazy inits
        a = _counts(engine, replace(request, num_inference_steps=short))
        b = _counts(engine, replace(request, num_inference_steps=long))
    keys = set(a) | set(b) | {"host_syncs"}
    return {key: (b[key] - a[key]) / (long - short) for key in sorted(keys)}
