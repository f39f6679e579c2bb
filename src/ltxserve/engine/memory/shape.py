"""A planned request's `RequestShape` for the memory model (endpoints/memory_fit.py makes one from an
endpoint's raw input before any file is fetched). No torch here."""

from __future__ import annotations

from ltxserve.engine.memory.peaks import RequestShape
from ltxserve.engine.request import EngineRequest, Guidance


def guidance_passes(video: Guidance, audio: Guidance, audio_active: bool) -> int:
    """How many passes each stage-1 forward batches (the rule of `engine.generation.guidance.plan_passes`)."""
    audio = audio if audio_active else Guidance()
    return (
        1
        + (video.needs_negative or audio.needs_negative)
        + (video.needs_perturbed or audio.needs_perturbed)
        + (video.needs_isolated or audio.needs_isolated)
    )


def shape_of(request: EngineRequest, lora_params: int = 0, has_distilled: bool = True) -> RequestShape:
    """The memory-relevant shape of a planned request; `lora_params` counts its user LoRAs' factors."""
    video = request.mode != "text_to_audio"
    audio_active = request.audio is None or request.audio.strength < 1.0
    video_guidance = request.video_guidance if video else Guidance()
    return RequestShape(
        width=request.width,
        height=request.height,
        num_frames=request.num_frames,
        fps=request.fps,
        video=video,
        audio=request.generate_audio and audio_active,
        two_stage=request.use_multiscale and video,
        passes=guidance_passes(video_guidance, request.audio_guidance, audio_active),
        lora_params=lora_params,
        distilled_lora=has_distilled and any(s != 0.0 for s in request.distill_lora_scales),
        expansion=request.enable_prompt_expansion,
    )
