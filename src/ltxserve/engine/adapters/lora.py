"""LoRA adapters on a loaded model; after `detach()` its base weights are bit-identical to before.

Transformer layers are fused in place: W ← W + Σₖ sₖ·Bₖ·Aₖ, computed in float32 and rounded once to the
weight's storage dtype (bf16, or fp8 under layerwise casting). The original bytes of every adapted weight
are kept in (pinned) host memory by a `WeightBackup` that lives as long as the engine, and copied back by
`detach()`, so restoration is exact. When the fuse does not fit the free memory, each adapted `nn.Linear`
gets a forward hook adding Σₖ sₖ·Bₖ(Aₖ(x)) instead. Text-connector layers always use hooks (they run once
per prompt). LoRA factors stay on the host and reach the device only to be fused (or hooked).
docs/loras.md explains the choice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import safe_open

from ltxserve.engine.adapters.formats import LoraFormatError, ModuleIndex, ModulePath, parse_lora
from ltxserve.engine.adapters.fuse import FuseGate, WeightBackup, add_low_rank, is_offloaded
from ltxserve.engine.request import LoraTarget

# The text path's adapters as (key, scale) pairs: prompt encodings are cached under it.
TextSignature = tuple[tuple[str, float], ...]
# A forward hook on an `nn.Linear`: (module, inputs, output) → the output to use instead.
ForwardHook = Callable[[torch.nn.Module, tuple[torch.Tensor, ...], torch.Tensor], torch.Tensor]


class LoraError(ValueError):
    """A LoRA file that cannot be applied: unreadable, malformed, or matching no module of the model."""


@dataclass(frozen=True)
class LoraWeights:
    """Low-rank factors per (component, diffusers module path): down (r, in), up (out, r), alpha folded in."""

    name: str
    layers: dict[ModulePath, tuple[torch.Tensor, torch.Tensor]]

    @property
    def nbytes(self) -> int:
        """Host memory held by the factors (what the engine's LoRA cache counts)."""
        return sum(down.nbytes + up.nbytes for down, up in self.layers.values())


def read_lora(path: str | Path, index: ModuleIndex) -> LoraWeights:
    """Read a LoRA safetensors file in any supported key style (engine/adapters/formats.py)."""
    try:
        with safe_open(str(path), framework="pt") as f:
            tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118 (safe_open is not a dict)
    except Exception as exc:  # safetensors raises several types for a bad header or truncated data
        raise LoraError(f"not a readable safetensors file ({exc})") from exc
    try:
        return LoraWeights(name=Path(path).name, layers=parse_lora(tensors, index))
    except LoraFormatError as exc:
        raise LoraError(str(exc)) from exc


# Modules that write into the audio stream although their names do not start with `audio_`, and the one
# `audio_*` module that writes into the video stream (its queries are video tokens).
_AUDIO_WRITERS = {"video_to_audio_attn", "av_cross_attn_audio_scale_shift", "av_cross_attn_audio_v2a_gate"}
_VIDEO_WRITERS = {"audio_to_video_attn"}


def stream_of(module_path: str) -> LoraTarget:
    """Which stream a module writes into (docs/engine.md, "LoRAs")."""
    for part in module_path.split("."):
        if part in _VIDEO_WRITERS:
            return "video"
        if part in _AUDIO_WRITERS or part.startswith("audio_"):
            return "audio"
    return "video"


@dataclass
class _Adapter:
    key: str
    down: torch.Tensor  # (r, in), on the host
    up: torch.Tensor  # (out, r), on the host
    # Device copies in the compute dtype, made only for hooked layers.
    hooked: tuple[torch.Tensor, torch.Tensor] | None = None


@dataclass
class AdapterSet:
    """The adapters attached to the model's components; `detach()` restores the plain base model."""

    components: Mapping[str, torch.nn.Module]
    # Host copies of fused weights (shared by every request of an engine), and the dtype hooks compute in.
    backup: WeightBackup = field(default_factory=WeightBackup)
    # Fuse-or-hooks decisions with hysteresis, shared by every request of an engine like the backup.
    gate: FuseGate = field(default_factory=FuseGate)
    # Why the transformer's adapters were hooked for lack of memory (None: fused, or nothing to fuse).
    fallback: str | None = None
    compute_dtype: torch.dtype | None = None
    scales: dict[str, float] = field(default_factory=dict)
    _adapters: dict[ModulePath, list[_Adapter]] = field(default_factory=dict)
    _hooks: dict[ModulePath, torch.utils.hooks.RemovableHandle] = field(default_factory=dict)
    _connector_keys: set[str] = field(default_factory=set)
    # Fused layers → the scale of each adapter key now folded into their weight.
    _fused: dict[ModulePath, dict[str, float]] = field(default_factory=dict)
    # Module maps per component (name → module): built once by RequestAdapters, not per request.
    modules: dict[str, dict[str, torch.nn.Module]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.modules:  # RequestAdapters passes the maps it built once; build them otherwise
            self.modules = {name: dict(c.named_modules()) for name, c in self.components.items()}

    @property
    def fused(self) -> bool:
        return bool(self._fused)

    def attach(self, key: str, weights: LoraWeights, scale: float, target: LoraTarget = "both") -> int:
        """Record `weights` under `key` (text-connector layers are hooked now); returns modules touched."""
        touched = 0
        for (component, path), (down, up) in weights.layers.items():
            module = self.modules.get(component, {}).get(path)
            if module is None:
                continue
            if not isinstance(module, torch.nn.Linear):
                raise LoraError(f"{path} is not a linear layer")
            if (up.shape[0], down.shape[1]) != (module.out_features, module.in_features):
                raise LoraError(f"{path}: LoRA shape {up.shape[0]}×{down.shape[1]} does not fit the model")
            if target != "both" and (component != "transformer" or stream_of(path) != target):
                continue
            self._adapters.setdefault((component, path), []).append(_Adapter(key, down, up))
            if component == "connectors":
                self._connector_keys.add(key)
                self._hook((component, path))
            touched += 1
        if touched == 0 and target == "both":
            raise LoraError(f"{weights.name}: no layer matches a module of the model")
        self.scales[key] = scale
        return touched

    def activate(self, device_budget: int | None = None) -> bool:
        """Fuse the transformer's adapters in place when that fits the free memory, else hook them.

        Returns whether they were fused; `fallback` says why not when memory was the reason.
        `device_budget` overrides the measured free device memory.
        """
        layers = {where: self._weight(where) for where in self._adapters if where[0] == "transformer"}
        if not layers:
            return False
        offloaded = is_offloaded(self.components["transformer"])  # a configuration, not a memory state
        self.fallback = None if offloaded else self.gate.check(layers, self.backup, device_budget)
        if not offloaded and self.fallback is None:
            try:
                for where in layers:
                    self._fuse(where)
                return True
            except torch.OutOfMemoryError:
                self._restore()  # the fuse did not fit after all: undo what was fused, fall back to hooks
                self.gate.record_fallback()
                self.fallback = "the device ran out of memory while fusing"
        for where in layers:
            self._hook(where)
        return False

    def set_scale(self, key: str, scale: float) -> None:
        """Change one adapter's strength; fused layers get the difference added (hooks read it per call)."""
        old = self.scales.get(key, 0.0)
        if old == scale:
            return
        self.scales[key] = scale
        for where, folded in self._fused.items():
            if key in folded:
                terms = [(scale - old, a.down, a.up) for a in self._adapters[where] if a.key == key]
                add_low_rank(self._weight(where), terms)
                folded[key] = scale

    def connector_signature(self) -> TextSignature:
        """What the text path's adapters are now: prompt encodings are cached under this too."""
        return tuple(sorted((key, self.scales.get(key, 0.0)) for key in self._connector_keys))

    def detach(self) -> None:
        self._restore()
        for handle in self._hooks.values():
            handle.remove()
        self._hooks.clear()
        self._adapters.clear()
        self.scales.clear()
        self._connector_keys.clear()

    def _weight(self, where: ModulePath) -> torch.Tensor:
        module = self.modules[where[0]][where[1]]
        if not isinstance(module, torch.nn.Linear):  # attach() only records linear layers
            raise LoraError(f"{where[1]} is not a linear layer")
        return module.weight

    def _fuse(self, where: ModulePath) -> None:
        weight = self._weight(where)
        self.backup.save(where, weight)
        adapters = self._adapters[where]
        # Marked before the weight changes: a failure half-way is still restored by detach().
        self._fused[where] = {a.key: self.scales.get(a.key, 0.0) for a in adapters}
        add_low_rank(weight, [(self.scales.get(a.key, 0.0), a.down, a.up) for a in adapters])

    def _restore(self) -> None:
        for where in self._fused:
            self.backup.restore(where, self._weight(where))
        self._fused.clear()

    def _hook(self, where: ModulePath) -> None:
        weight = self._weight(where)
        dtype = self.compute_dtype or weight.dtype
        for adapter in self._adapters[where]:
            if adapter.hooked is None:
                adapter.hooked = (adapter.down.to(weight.device, dtype), adapter.up.to(weight.device, dtype))
        if where not in self._hooks:
            module = self.modules[where[0]][where[1]]
            self._hooks[where] = module.register_forward_hook(self._hook_for(where))

    def _hook_for(self, where: ModulePath) -> ForwardHook:
        def add_hooked(
            _module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor
        ) -> torch.Tensor:
            x = inputs[0]
            for adapter in self._adapters.get(where, ()):
                scale = self.scales.get(adapter.key, 0.0)
                if scale != 0.0 and adapter.hooked is not None:
                    down, up = adapter.hooked
                    output = output + scale * (x @ down.T) @ up.T
            return output

        return add_hooked
