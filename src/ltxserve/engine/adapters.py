"""A request's adapter set: its LoRAs (user and camera) and the distilled LoRA, attached for one request."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ltxserve.engine.lora import AdapterSet, LoraError, LoraWeights, read_lora
from ltxserve.engine.lora_formats import ModuleIndex
from ltxserve.engine.request import CAMERA_LORA_PREFIX, EngineRequest

DISTILLED = "distilled"
# Fusing a request's LoRAs into fresh weights removes the per-step hook cost (docs/loras.md) but holds a
# second copy of every adapted weight while the request runs; above this many bytes the hooks stay.
FUSE_BUDGET_BYTES = 8 * 1024**3
CACHE_SIZE = 8  # LoRAs kept on the model's device, ready to attach (keyed by path, size and mtime)


class AdapterError(ValueError):
    """A LoRA of the request cannot be used; `index` is its position in `loras` (None for built-ins)."""

    def __init__(self, message: str, index: int | None = None, field: str = "loras") -> None:
        super().__init__(message)
        self.index = index
        self.field = field


@dataclass
class ActiveAdapters:
    """Handle for the generation: switches the distilled LoRA's strength between passes."""

    adapters: AdapterSet
    distill_scales: tuple[float, float]
    has_distilled: bool
    fuse_budget_bytes: int

    def use_pass(self, index: int) -> None:
        """Set the pass's distilled-LoRA strength and fuse the set when it fits the memory budget."""
        if self.has_distilled:
            self.adapters.set_scale(DISTILLED, self.distill_scales[min(index, 1)])
        if index == 0:
            self.adapters.fuse(self.fuse_budget_bytes)

    def text_signature(self) -> tuple[tuple[str, float], ...]:
        return self.adapters.connector_signature()


class RequestAdapters:
    """Loads, caches and attaches a request's LoRAs; the base weights are never touched."""

    def __init__(self, transformer, connectors, distilled_path: Path | None) -> None:
        self.components = {"transformer": transformer, "connectors": connectors}
        self.modules = {name: dict(c.named_modules()) for name, c in self.components.items()}
        self.index = ModuleIndex.for_model(transformer, connectors)
        self.distilled_path = distilled_path
        self.fuse_budget_bytes = FUSE_BUDGET_BYTES
        self._cache: OrderedDict[tuple[str, int, int], LoraWeights] = OrderedDict()

    @contextmanager
    def applied(self, request: EngineRequest) -> Iterator[ActiveAdapters]:
        adapters = AdapterSet(self.components, modules=self.modules)
        try:
            for index, lora in enumerate(request.loras):
                # The worker appends the camera LoRA after the user's; its errors name `camera_lora`.
                where = (
                    (None, "camera_lora") if lora.name.startswith(CAMERA_LORA_PREFIX) else (index, "loras")
                )
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
            weights = read_lora(file, self.index).placed_on(self.components)
        except LoraError as exc:
            raise AdapterError(str(exc), index, field) from exc
        self._cache[key] = weights
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return weights
