"""Speed knobs of one engine (settings `LTXSERVE_ATTENTION`, `LTXSERVE_COMPILE`, `LTXSERVE_LORA_MEMORY_BYTES`)."""

from __future__ import annotations

from dataclasses import dataclass

from ltxserve.engine.adapters import CACHE_BYTES


@dataclass(frozen=True)
class Tuning:
    """How the engine runs its transformer; docs/performance.md explains each choice."""

    # Host memory for parsed LoRA files, least recently used first.
    lora_memory_bytes: int = CACHE_BYTES

    @classmethod
    def from_settings(cls, settings) -> Tuning:
        return cls(lora_memory_bytes=settings.lora_memory_bytes)
