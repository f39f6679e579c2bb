"""Measure the peak device memory a call allocates: `peak_bytes(fn)` → (result, bytes above the start).

On CUDA this is the caching allocator's own peak counter. On the CPU it replays the profiler's allocation
events (every tensor allocation and free of the call, in order) and keeps the running maximum, so the
memory model (engine/memory/peaks.py) can be checked on machines without a GPU.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import torch
from torch.multiprocessing.reductions import StorageWeakRef
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

T = TypeVar("T")


def peak_bytes(fn: Callable[[], T], device: str | torch.device = "cpu") -> tuple[T, int]:
    """Run `fn` and return its result with the peak of memory allocated on `device` during the call."""
    device = torch.device(device)
    if device.type == "cuda":
        return _cuda_peak(fn, device)
    return _cpu_peak(fn)


def _cuda_peak(fn: Callable[[], T], device: torch.device) -> tuple[T, int]:
    torch.cuda.synchronize(device)
    start = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    result = fn()
    torch.cuda.synchronize(device)
    return result, torch.cuda.max_memory_allocated(device) - start


def _cpu_peak(fn: Callable[[], T]) -> tuple[T, int]:
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        result = fn()
    events = [
        e
        for e in prof.profiler.kineto_results.events()
        if e.name() == "[memory]" and str(e.device_type()).endswith("CPU")
    ]
    events.sort(key=lambda e: e.start_ns())
    live = peak = 0
    for event in events:
        live += event.nbytes()
        peak = max(peak, live)
    return result, peak


class LiveTensorBytes(TorchDispatchMode):
    """Tracks the bytes of tensor storages created inside the mode that are still alive, and their peak.

    Works on the meta device too (shapes only): a forward on meta tensors gives the activation peak of a
    module without weights or compute. Storages are told apart by their implementation pointer, so views
    count once; a storage is released when PyTorch frees it (checked after every operation).
    """

    def __init__(self) -> None:
        super().__init__()
        self.live: dict[int, tuple[StorageWeakRef, int]] = {}
        self.current = 0
        self.peak = 0

    def __torch_dispatch__(
        self,
        func: Callable[..., object],
        types: Sequence[type],
        args: Sequence[object] = (),
        kwargs: Mapping[str, object] | None = None,
    ) -> object:
        out = func(*args, **(kwargs or {}))
        self._sweep()
        for tensor in tree_leaves(out):
            if isinstance(tensor, torch.Tensor):
                self._track(tensor)
        self.peak = max(self.peak, self.current)
        return out

    def _track(self, tensor: torch.Tensor) -> None:
        storage = tensor.untyped_storage()
        ref = StorageWeakRef(storage)
        if ref.cdata not in self.live:
            self.live[ref.cdata] = (ref, storage.nbytes())
            self.current += storage.nbytes()

    def _sweep(self) -> None:
        for key in [k for k, (ref, _) in self.live.items() if ref.expired()]:
            self.current -= self.live.pop(key)[1]


def traced_peak_bytes(fn: Callable[[], T]) -> tuple[T, int]:
    """Peak bytes of the tensors `fn` creates (any device, meta included), by following their lifetimes."""
    with LiveTensorBytes() as tracker:
        result = fn()
    return result, tracker.peak
