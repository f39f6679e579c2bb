"""A request's adapter set: user LoRAs, the camera LoRA and the distilled LoRA, attached for one request."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ltxserve.engine.lora import AdapterSet, LoraError, LoraWeights, read_lora
from ltxserve.engine.request import EngineRequest

DISTILLED = "distilled"
CAMERA = "camera"
CACHE_SIZE = 8  # parsed LoRA files kept in memory (keyed by path, size and mtime)


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

    def use_pass(self, index: int) -> None:
        if self.has_distilled:
            self.adapters.set_scale(DISTILLED, self.distill_scales[min(index, 1)])


class RequestAdapters:
    """Loads, caches and attaches a request's LoRAs; the base weights are never touched."""

    def __init__(self, transformer, distilled_path: Path | None, camera_loras: dict[str, Path]) -> None:
        self.transformer = transformer
        self.distilled_path = distilled_path
        self.camera_loras = camera_loras
        self._cache: OrderedDict[tuple[str, int, int], LoraWeights] = OrderedDict()

    @contextmanager
    def applied(self, request: EngineRequest) -> Iterator[ActiveAdapters]:
        adapters = AdapterSet(self.transformer)
        try:
            for index, lora in enumerate(request.loras):
                weights = self._read(lora.path, index)
                try:
                    adapters.attach(f"user{index}", weights, lora.scale, lora.target)
                except LoraError as exc:
                    raise AdapterError(str(exc), index) from exc
            if request.camera_lora != "none":
                path = self.camera_loras.get(request.camera_lora)
                if path is None:
                    raise AdapterError(
                        f"camera LoRA {request.camera_lora!r} is not installed", None, "camera_lora"
                    )
                adapters.attach(CAMERA, self._read(str(path), None), request.camera_lora_scale)
            wants_distilled = any(s != 0.0 for s in request.distill_lora_scales)
            if wants_distilled and self.distilled_path is None:
                raise AdapterError(
                    "this model folder has no distilled LoRA", None, "distill_lora_first_pass_scale"
                )
            if wants_distilled:
                adapters.attach(DISTILLED, self._read(str(self.distilled_path), None), 0.0)
            yield ActiveAdapters(adapters, request.distill_lora_scales, wants_distilled)
        finally:
            adapters.detach()

    def _read(self, path: str, index: int | None) -> LoraWeights:
        file = Path(path)
        try:
            stat = file.stat()
        except OSError as exc:
            raise AdapterError(f"LoRA file not found: {path}", index) from exc
        key = (str(file.resolve()), stat.st_size, stat.st_mtime_ns)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        try:
            weights = read_lora(file)
        except LoraError as exc:
            raise AdapterError(str(exc), index) from exc
        self._cache[key] = weights
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return weights
