"""Speed knobs of one engine (settings `LTXSERVE_ATTENTION`, `LTXSERVE_COMPILE`, `LTXSERVE_LORA_MEMORY_BYTES`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ltxserve.engine.adapters.per_request import CACHE_BYTES
from ltxserve.engine.generation.attention import AttentionChoice
from ltxserve.engine.generation.compiled import CompileChoice


class TuningSettings(Protocol):
    """The settings a `Tuning` is read from (`ltxserve.settings.Settings`; the engine does not import it)."""

    @property
    def lora_memory_bytes(self) -> int: ...
    @property
    def attention(self) -> AttentionChoice: ...
    @property
    def compile(self) -> CompileChoice: ...


@dataclass(frozen=True)
class Tuning:
    """How the engine runs its transformer; docs/performance.md explains each choice."""

    # Host memory for parsed LoRA files, least recently used first.
    lora_memory_bytes: int = CACHE_BYTES
    # Attention kernel (engine/generation/attention.py): `auto` picks the fastest one installed for the device.
    attention: AttentionChoice = "auto"
    # `blocks`: torch.compile the repeated transformer blocks (engine/generation/compiled.py); `none` until measured.
    compile: CompileChoice = "none"

    @classmethod
    def from_settings(cls, settings: TuningSettings) -> Tuning:
        return cls(
            lora_memory_bytes=settings.lora_memory_bytes,
            attention=settings.attention,
            compile=settings.compile,
        )
