"""The endpoint catalogue's contract: one `Endpoint` per fal endpoint id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar

import numpy as np
from pydantic import BaseModel

from ltxserve.engine.request import EngineRequest

if TYPE_CHECKING:
    from ltxserve.media.video_in import DecodedVideo

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ResolvedMedia:
    """Every input the plan needs, already fetched and decoded by the caller (worker or CLI), by input field.

    `stand_in` marks placeholders for planning a request's shape before anything is fetched (memory
    checks): the plan then skips the pixel and sample work of model preprocessing, which changes values,
    never shapes.
    """

    images: dict[str, np.ndarray] = field(default_factory=dict)  # "image_url" -> (H, W, 3) uint8
    audio: dict[str, tuple[np.ndarray, int]] = field(default_factory=dict)  # "audio_url" -> (waveform, rate)
    loras: dict[int, str] = field(default_factory=dict)  # index in `loras` -> local file path
    videos: dict[str, DecodedVideo] = field(default_factory=dict)  # "video_url" -> frames, fps, audio
    camera_lora: str | None = None  # the local file of the chosen `camera_lora` (settings map its values)
    stand_in: bool = False


@dataclass(frozen=True)
class Stitch:
    """extend-video: how the worker joins the generated segment to its source (the engine never sees it).

    `frames` is the whole source (F, H, W, 3) uint8 at the request's fps; `overlap` of its frames are
    the segment's context; `before` says the segment precedes the source (backward extension).
    """

    frames: np.ndarray
    waveform: np.ndarray | None  # (channels, samples) float32, None: the source is silent
    sample_rate: int
    overlap: int
    before: bool = False


@dataclass(frozen=True)
class Plan:
    """What an endpoint's plan returns: the engine's request, and how the worker finishes its result."""

    request: EngineRequest
    stitch: Stitch | None = None  # extend-video: join the segment to its source


@dataclass(frozen=True)
class Endpoint:
    """A served endpoint: its schemas and its plan, the one function from a validated input (and its
    resolved files) to the engine's request."""

    endpoint_id: str
    title: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    output_field: Literal["video", "audio"]
    # Input fields holding file URLs to fetch before planning ("loras" means each `loras[i].path`); the
    # worker also resolves `camera_lora`, a name, to its file before planning.
    file_fields: tuple[str, ...]
    plan: Callable[[BaseModel, ResolvedMedia], Plan]


class UnknownEndpointError(KeyError):
    """An endpoint id this server does not serve."""

    def __init__(self, endpoint_id: str) -> None:
        super().__init__(endpoint_id)
        self.endpoint_id = endpoint_id

    def __str__(self) -> str:
        return f"unknown endpoint {self.endpoint_id!r}"


class PlanError(ValueError):
    """A validated input that cannot be planned (a file missing or unusable); `loc` names the field."""

    def __init__(self, loc: tuple[str | int, ...], msg: str, error_type: str = "value_error") -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg
        self.error_type = error_type

    def detail(self) -> dict[str, object]:
        """One fal-shaped validation item (`{"loc": ["body", ...], "msg", "type"}`)."""
        return {"loc": ["body", *self.loc], "msg": self.msg, "type": self.error_type}


def typed_plan(
    model: type[M], plan: Callable[[M, ResolvedMedia], Plan]
) -> Callable[[BaseModel, ResolvedMedia], Plan]:
    """Adapt a plan written for one input model to the catalogue's `Endpoint.plan` signature."""

    def checked(validated: BaseModel, media: ResolvedMedia) -> Plan:
        if not isinstance(validated, model):
            raise TypeError(f"expected {model.__name__}, got {type(validated).__name__}")
        return plan(validated, media)

    return checked
