"""Per-stage memos: work a step would redo although its inputs are the same at every step of a stage.

The positions of the tokens (RoPE coordinates) do not change between steps, yet the transformer rebuilds
its cos/sin tables from them on every call (float32 trigonometry over every token, four tables) and the
denoiser repeats the coordinates for every guidance pass. `memoize_rope` makes each rotary-embedding module
return its previous tables when called again with the same coordinate tensor.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

import torch

if TYPE_CHECKING:
    from diffusers.models.transformers.transformer_ltx2 import LTX2VideoTransformer3DModel

Value = TypeVar("Value")
# A rotary-embedding module's output: the (cos, sin) tables for the given coordinates.
RopeTables = tuple[torch.Tensor, torch.Tensor]
RopeForward = Callable[..., RopeTables]

ROPE_MODULES = ("rope", "audio_rope", "cross_attn_rope", "cross_attn_audio_rope")
ENTRIES = 4  # a stage uses one coordinate tensor per module; two stages may interleave in tests


def tensor_key(t: torch.Tensor) -> tuple[object, ...]:
    """Identity of a tensor's contents while it is alive: storage address, layout and version counter.

    Each memo keeps a reference to the tensor it keyed, so its storage cannot be freed and reused by
    another tensor while the entry exists; an in-place change bumps `_version` (inference tensors have no
    version counter: the engine never changes coordinates in place).
    """
    version = None if t.is_inference() else t._version
    return (t.data_ptr(), tuple(t.shape), tuple(t.stride()), t.dtype, t.device, version)


class TensorMemo(Generic[Value]):
    """A small LRU from input tensors (by `tensor_key`) to a computed value."""

    def __init__(self, entries: int = ENTRIES) -> None:
        self.entries = entries
        self._items: OrderedDict[tuple[object, ...], tuple[torch.Tensor, Value]] = OrderedDict()
        self.hits = 0

    def get(self, key: tuple[object, ...], source: torch.Tensor, compute: Callable[[], Value]) -> Value:
        if key in self._items:
            self._items.move_to_end(key)
            self.hits += 1
            return self._items[key][1]
        value = compute()
        self._items[key] = (source, value)
        while len(self._items) > self.entries:
            self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        self._items.clear()


def memoize_rope(transformer: LTX2VideoTransformer3DModel) -> list[TensorMemo[RopeTables]]:
    """Wrap each rotary-embedding module of `transformer` so equal coordinates reuse their tables."""
    memos = []
    for name in ROPE_MODULES:
        module = getattr(transformer, name, None)
        if module is None:
            continue
        memo: TensorMemo[RopeTables] = TensorMemo()
        module.forward = _memoized(module.forward, memo)
        memos.append(memo)
    return memos


def _memoized(forward: RopeForward, memo: TensorMemo[RopeTables]) -> RopeForward:
    def cached(coords: torch.Tensor, device: str | torch.device | None = None) -> RopeTables:
        key = (*tensor_key(coords), str(device), torch.is_inference_mode_enabled())
        return memo.get(key, coords, lambda: forward(coords, device=device))

    return cached
