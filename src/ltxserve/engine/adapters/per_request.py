"""A request's adapter set: its LoRAs (user and camera) and the distilled LoRA, attached for one request."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ltxserve.engine.adapters.formats import ModuleIndex
from ltxserve.engine.adapters.fuse import FuseGate, WeightBackup
from ltxserve.engine.adapters.lora import AdapterSet, LoraError, LoraWeights, TextSignature, read_lora
from ltxserve.engine.request import EngineRequest, LoraSpec

if TYPE_CHECKING:
    from diffusers.models.transformers.transformer_ltx2 import LTX2VideoTransformer3DModel
    from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors

DISTILLED = "distilled"
# Parsed LoRA files kept in host memory, ready to attach (keyed by path, size and mtime); the distilled
# LoRA of the 22B model alone is ≈ 7.6 GB in bf16 (settings: `lora_memory_bytes`).
CACHE_BYTES = 16 * 1024**3


class AdapterError(ValueError):
    """A LoRA of the request cannot be used; `index` is its position in `loras` (None for built-ins)."""

    def __init__(self, message: str, index: int | None = None, field: str = "loras") -> None:
        super().__init__(message)
        self.index = index
        self.field = field


@dataclass
class ActiveAdapters:
    """Handle for the generation: switches the distilled LoRA's strength between the denoising stages."""

    adapters: AdapterSet
    distill_scales: tuple[float, float]  # (stage 1, refine stage)
    has_distilled: bool
    fuse_budget_bytes: int | None
    activated: bool = False

    def enter_stage(self, stage: int) -> None:
        """Set the distilled LoRA's strength for denoising stage `stage` (0: stage 1, 1: the refine stage);
        entering the first stage fuses the set in place (or hooks it)."""
        if self.has_distilled:
            self.adapters.set_scale(DISTILLED, self.distill_scales[min(stage, 1)])
        if not self.activated:
            self.adapters.activate(self.fuse_budget_bytes)
            self.activated = True

    @property
    def fused(self) -> bool:
        return self.adapters.fused

    @property
    def fallback_warning(self) -> str | None:
        """For the job log when the LoRAs had to be hooked for lack of memory (docs/loras.md)."""
        if self.adapters.fallback is None:
            return None
        return (
            f"LoRAs applied as forward hooks instead of fused weights ({self.adapters.fallback}); "
            "the output may differ in the last bits from a fused run of the same request."
        )

    def text_signature(self) -> TextSignature:
        return self.adapters.connector_signature()


def input_field(loras: tuple[LoraSpec, ...], index: int) -> tuple[int | None, str]:
    """Where an error about `loras[index]` points: the user's i-th `loras` entry, or `camera_lora`."""
    if loras[index].kind == "camera":
        return None, "camera_lora"
    return sum(lora.kind == "user" for lora in loras[:index]), "loras"


class RequestAdapters:
    """Loads, caches and attaches a request's LoRAs; the base weights are bit-identical after each request."""

    def __init__(
        self,
        transformer: LTX2VideoTransformer3DModel,
        connectors: LTX2TextConnectors,
        distilled_path: Path | None,
        compute_dtype: torch.dtype | None = None,
        cache_bytes: int = CACHE_BYTES,
    ) -> None:
        self.components = {"transformer": transformer, "connectors": connectors}
        self.modules = {name: dict(c.named_modules()) for name, c in self.components.items()}
        self.index = ModuleIndex.for_model(transformer, connectors)
        self.distilled_path = distilled_path
        self.compute_dtype = compute_dtype
        # Device bytes a fuse may use; None: measured free memory at the time (engine/adapters/fuse.py).
        self.fuse_budget_bytes: int | None = None
        self.backup = WeightBackup()
        self.gate = FuseGate()
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[tuple[str, int, int], LoraWeights] = OrderedDict()
        # Pinned host factors copy to a GPU several times faster than pageable ones.
        self._pin = next(transformer.parameters()).is_cuda

    @contextmanager
    def applied(self, request: EngineRequest) -> Iterator[ActiveAdapters]:
        adapters = AdapterSet(
            self.components,
            backup=self.backup,
            gate=self.gate,
            compute_dtype=self.compute_dtype,
            modules=self.modules,
        )
        try:
            for index, lora in enumerate(request.loras):
                where = input_field(request.loras, index)
                weights = self._read(lora.path, *where)
                try:
                    adapters.attach(f"lora{index}", weights, lora.scale, lora.target)
                except LoraError as exc:
                    raise AdapterError(str(exc), *where) from exc
            wants_distilled = any(s != 0.0 for s in request.distill_lora_scales)
            if wants_distilled and self.distilled_path is None:
                raise AdapterError(
                    "this model folder has no distilled LoRA", None, "distill_lora_first_pass_scale"
                )
            if wants_distilled:
                adapters.attach(DISTILLED, self._read(str(self.distilled_path), None, "distilled_lora"), 0.0)
            yield ActiveAdapters(
                adapters, request.distill_lora_scales, wants_distilled, self.fuse_budget_bytes
            )
        finally:
            adapters.detach()

    def _read(self, path: str, index: int | None, field: str = "loras") -> LoraWeights:
        file = Path(path)
        try:
            stat = file.stat()
        except OSError as exc:
            raise AdapterError(f"LoRA file not found: {path}", index, field) from exc
        key = (str(file.resolve()), stat.st_size, stat.st_mtime_ns)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        try:
            weights = read_lora(file, self.index)
        except LoraError as exc:
            raise AdapterError(str(exc), index, field) from exc
        if self._pin:
            weights = LoraWeights(
                weights.name, {k: (d.pin_memory(), u.pin_memory()) for k, (d, u) in weights.layers.items()}
            )
        self._cache[key] = weights
        # Bounded in bytes, least recently used first; a file larger than the budget is used, not kept.
        while self._cache and self.cached_bytes > self.cache_bytes:
            self._cache.popitem(last=False)
        return weights

    @property
    def cached_bytes(self) -> int:
        return sum(weights.nbytes for weights in self._cache.values())
