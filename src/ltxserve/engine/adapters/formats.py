"""LoRA file formats → low-rank factors on the loaded model's modules.

Three key styles are read (docs/loras.md):
- official / ComfyUI: `diffusion_model.<official module>.lora_A.weight` / `.lora_B.weight` (optional `.alpha`);
- diffusers / PEFT: `transformer.<diffusers module>.lora_A.weight` (also `base_model.model.`, `.default`);
- kohya: `lora_unet_<module with _ for .>.lora_down.weight` / `.lora_up.weight` / `.alpha`.
Where a file stores `alpha`, the delta is scaled by alpha / rank; otherwise by 1, as the reference fuses
`strength · B @ A` with no alpha scaling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch

from ltxserve.engine.loading.convert_keys import connector_key_to_official, transformer_key_to_official

Component = str  # "transformer" or "connectors"
ModulePath = tuple[Component, str]

_DOWN = re.compile(r"\.(lora_A|lora_down|lora\.down)(\.default)?\.weight$")
_UP = re.compile(r"\.(lora_B|lora_up|lora\.up)(\.default)?\.weight$")
_ALPHA = re.compile(r"\.alpha$")
_PREFIXES = ("model.diffusion_model.", "diffusion_model.", "base_model.model.", "transformer.", "lora_unet_")
_OFFICIAL_TRANSFORMER_PREFIX = "model.diffusion_model."


class LoraFormatError(ValueError):
    """The file's keys are not a LoRA we can map onto the model."""


@dataclass(frozen=True)
class ModuleIndex:
    """Every linear layer of the model under each name a LoRA trainer may have given it."""

    names: dict[str, ModulePath]

    @classmethod
    def for_model(cls, transformer: torch.nn.Module, connectors: torch.nn.Module | None) -> ModuleIndex:
        names: dict[str, ModulePath] = {}
        for path, module in transformer.named_modules():
            if isinstance(module, torch.nn.Linear):
                official = transformer_key_to_official(f"{path}.weight").removesuffix(".weight")
                _add_aliases(
                    names, ("transformer", path), path, official.removeprefix(_OFFICIAL_TRANSFORMER_PREFIX)
                )
        if connectors is not None:
            for path, module in connectors.named_modules():
                if isinstance(module, torch.nn.Linear):
                    official = connector_key_to_official(f"{path}.weight").removesuffix(".weight")
                    short = official.removeprefix(_OFFICIAL_TRANSFORMER_PREFIX)
                    _add_aliases(names, ("connectors", path), f"connectors.{path}", short)
        return cls(names)

    def resolve(self, module: str) -> ModulePath | None:
        for candidate in _candidates(module):
            if candidate in self.names:
                return self.names[candidate]
        return None


def parse_lora(
    tensors: dict[str, torch.Tensor], index: ModuleIndex
) -> dict[ModulePath, tuple[torch.Tensor, torch.Tensor]]:
    """Group a file's tensors into (down, up) pairs per model module, with alpha/rank folded into `up`."""
    downs, ups, alphas = {}, {}, {}
    for key, tensor in tensors.items():
        if match := _DOWN.search(key):
            downs[key[: match.start()]] = tensor
        elif match := _UP.search(key):
            ups[key[: match.start()]] = tensor
        elif match := _ALPHA.search(key):
            alphas[key[: match.start()]] = tensor
    if not downs:
        raise LoraFormatError("no LoRA layers (expected lora_A/lora_B or lora_down/lora_up weights)")
    layers: dict[ModulePath, tuple[torch.Tensor, torch.Tensor]] = {}
    unmatched = []
    for module, down in downs.items():
        up = ups.get(module)
        if up is None:
            raise LoraFormatError(f"{module}: down weight without an up weight")
        down, up = down.flatten(1), up.flatten(1)  # kohya may store 1×1 conv shapes
        if up.shape[1] != down.shape[0]:
            raise LoraFormatError(f"{module}: rank mismatch {tuple(down.shape)} vs {tuple(up.shape)}")
        target = index.resolve(module)
        if target is None:
            unmatched.append(module)
            continue
        if module in alphas:
            up = up * (float(alphas[module]) / down.shape[0])
        layers[target] = (down, up)
    if not layers:
        raise LoraFormatError(f"no layer matches a module of the model (first key: {unmatched[0]})")
    return layers


def _add_aliases(names: dict[str, ModulePath], target: ModulePath, *aliases: str) -> None:
    for alias in aliases:
        names[alias] = target
        names[alias.replace(".", "_")] = target  # kohya flattens the path with underscores


def _candidates(module: str) -> list[str]:
    """The module name as written, then without each trainer's prefix."""
    out = [module]
    for prefix in _PREFIXES:
        if module.startswith(prefix):
            out.append(module.removeprefix(prefix))
    return out
