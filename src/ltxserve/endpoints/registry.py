"""The endpoint catalogue's contract: one `Endpoint` per fal endpoint id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel

from ltxserve.engine.request import EngineRequest


@dataclass(frozen=True)
class ResolvedMedia:
    """Inputs already fetched and decoded by the caller (worker or CLI), keyed by input field."""

    images: dict[str, np.ndarray] = field(default_factory=dict)  # "image_url" -> (H, W, 3) uint8
    audio: dict[str, tuple[np.ndarray, int]] = field(default_factory=dict)  # "audio_url" -> (waveform, rate)
    loras: dict[int, str] = field(default_factory=dict)  # index in `loras` -> local file path


@dataclass(frozen=True)
class Endpoint:
    """A served endpoint: its schemas and the translation of a validated input into an engine request."""

    endpoint_id: str
    title: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    output_field: Literal["video", "audio"]
    # Input fields holding file URLs to fetch before planning ("loras" means each `loras[i].path`).
    file_fields: tuple[str, ...]
    plan: Callable[[BaseModel, ResolvedMedia], EngineRequest]
