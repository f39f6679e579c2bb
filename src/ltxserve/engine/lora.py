"""LoRA adapters on a loaded model; its base weights are never modified.

Each adapted `nn.Linear` gets one hook adding Σₖ scaleₖ · Bₖ(Aₖ(x)) to its output; `fuse()` instead swaps
in fresh tensors W + Σₖ scaleₖ·Bₖ·Aₖ and keeps the original Parameters aside. Either way `detach()` leaves
the base model bit-identical, in milliseconds. docs/loras.md explains the choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import safe_open

from ltxserve.engine.lora_formats import LoraFormatError, ModuleIndex, ModulePath, parse_lora
from ltxserve.engine.request import LoraTarget


class LoraError(ValueError):
    """A LoRA file that cannot be applied: unreadable, malformed, or matching no module of the model."""


@dataclass(frozen=True)
class LoraWeights:
    """Low-rank factors per (component, diffusers module path): down (r, in), up (out, r), alpha folded in."""

    name: str
    layers: dict[ModulePath, tuple[torch.Tensor, torch.Tensor]]

    def placed_on(self, components: dict[str, torch.nn.Module]) -> LoraWeights:
        """The factors moved once to each target module's device and dtype (no copy per request)."""
        modules = {name: dict(component.named_modules()) for name, component in components.items()}
        placed = {}
        for (component, path), (down, up) in self.layers.items():
            module = modules.get(component, {}).get(path)
            if isinstance(module, torch.nn.Linear):
                kind = dict(device=module.weight.device, dtype=module.weight.dtype)
                placed[(component, path)] = (down.to(**kind), up.to(**kind))
            else:
                placed[(component, path)] = (down, up)
        return LoraWeights(self.name, placed)


def read_lora(path: str | Path, index: ModuleIndex) -> LoraWeights:
    """Read a LoRA safetensors file in any supported key style (engine/lora_formats.py)."""
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
    down: torch.Tensor
    up: torch.Tensor


@dataclass
class AdapterSet:
    """The adapters attached to the model's components; `detach()` restores the plain base model."""

    components: dict[str, torch.nn.Module]
    scales: dict[str, float] = field(default_factory=dict)
    _adapters: dict[ModulePath, list[_Adapter]] = field(default_factory=dict)
    _hooks: dict[ModulePath, torch.utils.hooks.RemovableHandle] = field(default_factory=dict)
    _connector_keys: set[str] = field(default_factory=set)
    # Fused transformer layers: the original weight Parameter, put back untouched by `detach()`.
    _originals: dict[ModulePath, torch.nn.Parameter] = field(default_factory=dict)
    # Module maps per component (name → module): built once by RequestAdapters, not per request.
    modules: dict[str, dict[str, torch.nn.Module]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.modules:  # RequestAdapters passes the maps it built once; build them otherwise
            self.modules = {name: dict(c.named_modules()) for name, c in self.components.items()}

    def attach(self, key: str, weights: LoraWeights, scale: float, target: LoraTarget = "both") -> int:
        """Hook `weights` onto the model under `key`; returns how many modules it touched."""
        modules = self.modules
        touched = 0
        for (component, path), (down, up) in weights.layers.items():
            module = modules.get(component, {}).get(path)
            if module is None:
                continue
            if not isinstance(module, torch.nn.Linear):
                raise LoraError(f"{path} is not a linear layer")
            if (up.shape[0], down.shape[1]) != (module.out_features, module.in_features):
                raise LoraError(f"{path}: LoRA shape {up.shape[0]}×{down.shape[1]} does not fit the model")
            if target != "both" and (component != "transformer" or stream_of(path) != target):
                continue
            dtype, device = module.weight.dtype, module.weight.device
            adapter = _Adapter(key, down.to(device=device, dtype=dtype), up.to(device=device, dtype=dtype))
            self._adapters.setdefault((component, path), []).append(adapter)
            if (component, path) not in self._hooks:
                self._hooks[(component, path)] = module.register_forward_hook(
                    self._hook_for((component, path))
                )
            if component == "connectors":
                self._connector_keys.add(key)
            touched += 1
        if touched == 0 and target == "both":
            raise LoraError(f"{weights.name}: no layer matches a module of the model")
        self.scales[key] = scale
        return touched

    def set_scale(self, key: str, scale: float) -> None:
        if self.scales.get(key) == scale:
            return
        self.scales[key] = scale
        if self._originals:
            self.fuse()  # fused weights hold the old scale: rebuild them from the originals

    def fuse(self, max_extra_bytes: int | None = None) -> bool:
        """Fold the transformer's adapters into fresh weight tensors (W + Σ s·B·A) for hook-free steps.

        The original Parameters are kept aside, not modified, so `detach()` restores the base bit for bit;
        the cost is one extra copy of each adapted weight, refused when it would exceed `max_extra_bytes`.
        """
        fusable = [where for where in self._adapters if where[0] == "transformer"]
        modules = self.modules["transformer"]
        if max_extra_bytes is not None and not self._originals:
            extra = sum(modules[path].weight.nbytes for _, path in fusable)
            if extra > max_extra_bytes:
                return False
        for where in fusable:
            module = modules[where[1]]
            original = self._originals.setdefault(where, module.weight)
            delta = torch.zeros(original.shape, dtype=torch.float32, device=original.device)
            for adapter in self._adapters[where]:
                scale = self.scales.get(adapter.key, 0.0)
                if scale != 0.0:
                    delta += scale * (adapter.up.float() @ adapter.down.float())
            fused = (original.float() + delta).to(original.dtype)
            module.weight = torch.nn.Parameter(fused, requires_grad=False)
        return True

    def connector_signature(self) -> tuple[tuple[str, float], ...]:
        """What the text path's adapters are now: prompt encodings are cached under this too."""
        return tuple(sorted((key, self.scales.get(key, 0.0)) for key in self._connector_keys))

    def detach(self) -> None:
        modules = self.modules.get("transformer", {})
        for (_, path), original in self._originals.items():
            modules[path].weight = original
        self._originals.clear()
        for handle in self._hooks.values():
            handle.remove()
        self._hooks.clear()
        self._adapters.clear()
        self.scales.clear()
        self._connector_keys.clear()

    def _hook_for(self, where: ModulePath):
        def add_low_rank(_module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor):
            if where in self._originals:
                return output  # the adapters are fused into this layer's weight
            x = inputs[0]
            for adapter in self._adapters.get(where, ()):
                scale = self.scales.get(adapter.key, 0.0)
                if scale != 0.0:
                    output = output + scale * (x @ adapter.down.T) @ adapter.up.T
            return output

        return add_low_rank
