"""A planned request's `RequestShape` for the memory model (endpoints/memory_fit.py makes one from an
endpoint's raw input before any file is fetched). No torch here."""

from __future__ import annotations

from ltxserve.engine.geometry import joint_request
from ltxserve.engine.guidance import request_batch
from ltxserve.engine.memory.peaks import RequestShape
from ltxserve.engine.request import EngineRequest


def shape_of(request: EngineRequest, lora_params: int = 0, has_distilled: bool = True) -> RequestShape:
    """The memory-relevant shape of a planned request as the pipeline runs it (`joint_request`: text-to-audio
    without pixels); `lora_params` counts its user LoRAs' factors."""
    request = joint_request(request)
    video = request.width > 0 and request.height > 0
    return RequestShape(
        width=request.width,
        height=request.height,
        num_frames=request.num_frames,
        fps=request.fps,
        video=video,
        audio=request.generate_audio and (request.audio is None or not request.audio.frozen),
        two_stage=request.use_multiscale,
        passes=len(request_batch(request).passes),
        lora_params=lora_params,
        distilled_lora=has_distilled and any(s != 0.0 for s in request.distill_lora_scales),
        expansion=request.enable_prompt_expansion,
    )
