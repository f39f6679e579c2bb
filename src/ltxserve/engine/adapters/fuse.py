"""In-place LoRA fusing: the host backup that makes the restore exact, the fuse itself and its memory check.

A fused layer's weight is rewritten in place, W ← round(W + Σₖ sₖ·Bₖ·Aₖ) (float32 sum, one rounding to the
storage dtype), so steps run the plain base-model forward with no extra weight copy on the device. The
original bytes were copied to host memory first and are copied back afterwards: bit-exact, no
subtract-and-round. docs/loras.md and docs/performance.md give the costs.
"""

from __future__ import annotations

import torch

from ltxserve.engine.adapters.formats import ModulePath

# Float32 workspace of one fuse, per weight element: W as float32, the delta, one B·A product and the
# rounded result (≤ 4 + 4 + 4 + 2 bytes).
FUSE_BYTES_PER_ELEMENT = 14
# Memory left alone when deciding whether a fuse fits: other allocations of the step, the OS, the API.
DEVICE_RESERVE_BYTES = 1 << 30
HOST_RESERVE_BYTES = 2 << 30

Term = tuple[float, torch.Tensor, torch.Tensor]  # (scale, down (r, in), up (out, r)), factors on the host


class WeightBackup:
    """The original bytes of every weight ever fused, in host memory (pinned when the weight is on CUDA).

    Every fuse is undone from here, so the base weights never change and a copy taken once stays valid for
    the engine's lifetime: the next request with the same layers fuses without another device→host copy.
    """

    def __init__(self) -> None:
        self._saved: dict[ModulePath, torch.Tensor] = {}

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self._saved.values())

    def missing_bytes(self, layers: dict[ModulePath, torch.Tensor]) -> int:
        """Host bytes that backing up `layers` (path → weight) would add."""
        return sum(w.nbytes for where, w in layers.items() if where not in self._saved)

    def save(self, where: ModulePath, weight: torch.Tensor) -> None:
        if where in self._saved:
            return
        copy = torch.empty(weight.shape, dtype=weight.dtype, pin_memory=weight.is_cuda)
        copy.copy_(weight)
        self._saved[where] = copy

    def restore(self, where: ModulePath, weight: torch.Tensor) -> None:
        """Copy the original bytes back (asynchronously from pinned memory; stream order keeps it safe)."""
        with torch.no_grad():
            weight.copy_(self._saved[where], non_blocking=weight.is_cuda)


def add_low_rank(weight: torch.Tensor, terms: list[Term]) -> None:
    """weight ← round(weight + Σ s·up·down) in place; the factors move to the weight's device only here."""
    delta: torch.Tensor | None = None
    for scale, down, up in terms:
        if scale == 0.0:
            continue
        device = weight.device
        product = scale * (
            up.to(device, torch.float32, non_blocking=True)
            @ down.to(device, torch.float32, non_blocking=True)
        )  # (out, r) @ (r, in)
        delta = product if delta is None else delta.add_(product)
    if delta is None:
        return
    with torch.no_grad():
        weight.copy_((weight.float() + delta).to(weight.dtype))


def free_bytes(device: torch.device) -> int:
    """CUDA memory a fuse may use now: free memory plus the caching allocator's idle blocks, less a reserve."""
    free, _ = torch.cuda.mem_get_info(device)
    idle = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
    return free + idle - DEVICE_RESERVE_BYTES


def host_available_bytes() -> int:
    """MemAvailable from /proc/meminfo (what can be allocated without swapping); sysconf elsewhere."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import os

    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


class FuseGate:
    """Decides, per request, whether a fuse fits; with hysteresis so that it does not flip back and forth.

    A fuse needs a transient float32 workspace on the weights' device and, the first time a layer is fused,
    a persistent host copy of it. Persistent copies must leave `HOST_RESERVE_BYTES` of host memory free; a
    transient workspace only has to fit. After a fallback to hooks the next fuse needs one more reserve
    free (host, and device on CUDA), so identical requests near the limit keep the same path. Once a set
    of layers is backed up (the steady state), a CPU engine falls back only when even the workspace does
    not fit the available memory. docs/loras.md states what this guarantees.
    """

    def __init__(self) -> None:
        self.fell_back = False

    def check(
        self, layers: dict[ModulePath, torch.Tensor], backup: WeightBackup, device_budget: int | None
    ) -> str | None:
        """None when fusing `layers` fits now, else why not (for the job log); remembers the answer."""
        reason = fuse_shortfall(layers, backup, device_budget, hysteresis=self.fell_back)
        self.fell_back = reason is not None
        return reason

    def record_fallback(self) -> None:
        """A fuse ran out of memory after all (CUDA): later requests need the extra headroom too."""
        self.fell_back = True


def fuse_shortfall(
    layers: dict[ModulePath, torch.Tensor],
    backup: WeightBackup,
    device_budget: int | None,
    hysteresis: bool = False,
) -> str | None:
    """Why fusing `layers` does not fit now, or None: its float32 workspace, new backups on the host.

    `device_budget` replaces the measured free device memory (on CPU: the host memory) when given (tests,
    benchmarks). `hysteresis` asks for one more reserve of headroom (after a fallback).
    """
    if not layers:
        return None
    weights = list(layers.values())
    device = weights[0].device
    if device.type == "meta":
        return "the transformer's weights are not materialised"
    workspace = FUSE_BYTES_PER_ELEMENT * max(w.numel() for w in weights)
    new_backups = backup.missing_bytes(layers)
    extra = HOST_RESERVE_BYTES if hysteresis else 0
    host_reserve = (HOST_RESERVE_BYTES if new_backups else 0) + extra
    if device.type == "cpu":  # workspace and backups share the host's memory
        need = workspace + new_backups
        free = host_available_bytes() - host_reserve if device_budget is None else device_budget
        return None if need <= free else _short("host memory for the fuse and its weight backups", need, free)
    if new_backups:
        host_free = host_available_bytes() - host_reserve
        if new_backups > host_free:
            return _short("host memory for weight backups", new_backups, host_free)
    hysteresis_bytes = DEVICE_RESERVE_BYTES if hysteresis else 0
    device_free = free_bytes(device) - hysteresis_bytes if device_budget is None else device_budget
    return (
        None if workspace <= device_free else _short(f"{device} memory for the fuse", workspace, device_free)
    )


def _short(what: str, need: int, free: int) -> str:
    return f"{what}: needs {need / 2**30:.2f} GiB, {max(free, 0) / 2**30:.2f} GiB free"


def fuse_fits(
    layers: dict[ModulePath, torch.Tensor], backup: WeightBackup, device_budget: int | None
) -> bool:
    """Whether fusing `layers` in place fits now (without hysteresis); see `fuse_shortfall`."""
    return fuse_shortfall(layers, backup, device_budget) is None


def is_offloaded(module: torch.nn.Module) -> bool:
    """Whether diffusers offloading hooks move this module's weights (then in-place fusing cannot hold)."""
    for sub in module.modules():
        registry = getattr(sub, "_diffusers_hook", None)
        if registry is not None and any("offload" in name for name in getattr(registry, "hooks", {})):
            return True
        if getattr(sub, "_hf_hook", None) is not None:  # accelerate's cpu_offload / device maps
            return True
    return False
