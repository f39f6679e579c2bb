"""LoRA adapters applied as forward hooks, so the base weights are never modified.

Each adapted `nn.Linear` gets one hook that adds Σₖ scaleₖ · Bₖ(Aₖ(x)) to its output. Attaching and
detaching a request's adapters costs milliseconds and leaves the base model bit-identical, and a
per-pass scale (the distilled LoRA's) is a dictionary update. docs/loras.md explains the choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import safe_open

from ltxserve.engine.convert_keys import transformer_to_diffusers
from ltxserve.engine.request import LoraTarget

OFFICIAL_PREFIX = "diffusion_model."


class LoraError(ValueError):
    """A LoRA file that cannot be applied: unreadable, malformed, or matching no module of the model."""


@dataclass(frozen=True)
class LoraWeights:
    """Low-rank factors per diffusers module path: down (r, in) and up (out, r), format scaling folded in."""

    name: str
    layers: dict[str, tuple[torch.Tensor, torch.Tensor]]


def read_lora(path: str | Path) -> LoraWeights:
    """Read an official/ComfyUI-style LoRA (`diffusion_model.<module>.lora_A/B.weight`)."""
    try:
        with safe_open(str(path), framework="pt") as f:
            tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118 (safe_open is not a dict)
    except Exception as exc:  # safetensors raises several types for a bad header or truncated data
        raise LoraError(f"not a readable safetensors file: {exc}") from exc
    layers: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    for key, down in tensors.items():
        if not key.endswith(".lora_A.weight"):
            continue
        module = key[: -len(".lora_A.weight")]
        up = tensors.get(f"{module}.lora_B.weight")
        if up is None:
            raise LoraError(f"{module}: lora_A without lora_B")
        if up.shape[1] != down.shape[0]:
            raise LoraError(f"{module}: rank mismatch {tuple(down.shape)} vs {tuple(up.shape)}")
        if module.startswith(OFFICIAL_PREFIX):
            module = module[len(OFFICIAL_PREFIX) :]
        # The reference fuses strength · B @ A with no alpha/rank scaling.
        layers[official_to_diffusers_module(module)] = (down, up)
    if not layers:
        raise LoraError("no LoRA layers (expected keys ending in .lora_A.weight / .lora_B.weight)")
    return LoraWeights(name=Path(path).name, layers=layers)


def official_to_diffusers_module(module: str) -> str:
    """Map an official transformer module path (`transformer_blocks.0.attn1.to_q`) to diffusers' name."""
    (key,) = transformer_to_diffusers({f"{module}.weight": None})
    return key.removesuffix(".weight")


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
    """The adapters attached to one model; `detach()` restores the plain base model."""

    model: torch.nn.Module
    scales: dict[str, float] = field(default_factory=dict)
    _adapters: dict[str, list[_Adapter]] = field(default_factory=dict)
    _hooks: dict[str, torch.utils.hooks.RemovableHandle] = field(default_factory=dict)

    def attach(self, key: str, weights: LoraWeights, scale: float, target: LoraTarget = "both") -> int:
        """Hook `weights` onto the model under `key`; returns how many modules it touched."""
        modules = dict(self.model.named_modules())
        touched = 0
        for path, (down, up) in weights.layers.items():
            module = modules.get(path)
            if module is None:
                continue
            if not isinstance(module, torch.nn.Linear):
                raise LoraError(f"{path} is not a linear layer")
            if (up.shape[0], down.shape[1]) != (module.out_features, module.in_features):
                raise LoraError(f"{path}: LoRA shape {up.shape[0]}×{down.shape[1]} does not fit the model")
            if target != "both" and stream_of(path) != target:
                continue
            dtype, device = module.weight.dtype, module.weight.device
            adapter = _Adapter(key, down.to(device=device, dtype=dtype), up.to(device=device, dtype=dtype))
            self._adapters.setdefault(path, []).append(adapter)
            if path not in self._hooks:
                self._hooks[path] = module.register_forward_hook(self._hook_for(path))
            touched += 1
        if touched == 0 and target == "both":
            raise LoraError(f"{weights.name}: no layer matches a module of the model")
        self.scales[key] = scale
        return touched

    def set_scale(self, key: str, scale: float) -> None:
        self.scales[key] = scale

    def detach(self) -> None:
        for handle in self._hooks.values():
            handle.remove()
        self._hooks.clear()
        self._adapters.clear()
        self.scales.clear()

    def _hook_for(self, path: str):
        def add_low_rank(_module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor):
            x = inputs[0]
            for adapter in self._adapters.get(path, ()):
                scale = self.scales.get(adapter.key, 0.0)
                if scale != 0.0:
                    output = output + scale * (x @ adapter.down.T) @ adapter.up.T
            return output

        return add_low_rank
