"""A request's `RequestShape` for the memory model: from an `EngineRequest`, or from an endpoint's raw input
before any file is fetched (submit-time checks, `ltxserve models fit`). No torch here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ltxserve.engine.memory import RequestShape
from ltxserve.engine.request import EngineRequest, Guidance

if TYPE_CHECKING:
    from ltxserve.endpoints.registry import Endpoint

# Without the file, an input audio track is assumed to last the request's own `num_frames` (or this many).
DEFAULT_FRAMES = 121
# An input image stands in at the landscape preset's size (what `video_size: auto` then resolves to).
STAND_IN_IMAGE = (704, 1280)


def guidance_passes(video: Guidance, audio: Guidance, audio_active: bool) -> int:
    """How many passes each stage-1 forward batches (the rule of `engine.guidance.plan_passes`)."""
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


def shape_for_input(endpoint: Endpoint, payload: dict[str, Any]) -> RequestShape:
    """Plan `payload` (validated by the endpoint's schema; raises pydantic's ValidationError) with stand-in
    media: silent audio as long as the requested frames, grey images, no LoRA files (their size is unknown
    until fetched)."""
    from ltxserve.endpoints.registry import ResolvedMedia

    validated = endpoint.input_model.model_validate(payload)
    frames = getattr(validated, "num_frames", DEFAULT_FRAMES) or DEFAULT_FRAMES
    fps = float(getattr(validated, "fps", 24) or 24)
    camera = getattr(validated, "camera_lora", "none") != "none"
    media = ResolvedMedia(camera_lora="stand-in-camera.safetensors" if camera else None, stand_in=True)
    for field in endpoint.file_fields:
        if field == "loras":
            for index, _ in enumerate(getattr(validated, "loras", None) or []):
                media.loras[index] = f"stand-in-lora-{index}.safetensors"
        elif getattr(validated, field, None) and field.startswith("audio"):
            media.audio[field] = (np.zeros((2, max(1, round(frames / fps * 16000))), np.float32), 16000)
        elif getattr(validated, field, None) and "video" in field:
            media.videos[field] = stand_in_video(frames, fps)
        elif getattr(validated, field, None):
            media.images[field] = np.full((*STAND_IN_IMAGE, 3), 128, np.uint8)
    return shape_of(endpoint.plan(validated, media).request)


def stand_in_video(frames: int, fps: float):
    """A grey 1280×704 clip of `frames` frames that takes one frame of memory (a broadcast view)."""
    from ltxserve.media.video_in import DecodedVideo

    frame = np.full((1, *STAND_IN_IMAGE, 3), 128, np.uint8)
    pixels = np.broadcast_to(frame, (frames, *STAND_IN_IMAGE, 3))
    return DecodedVideo(frames=pixels, fps=fps, waveform=None, sample_rate=16000)


def default_payload(endpoint: Endpoint, frames: int | None = None) -> dict[str, Any]:
    """An endpoint's default request: a prompt, no LoRAs, a stand-in URL for every required file field."""
    fields = endpoint.input_model.model_fields
    payload: dict[str, Any] = {}
    for name, info in fields.items():
        if name == "prompt" and info.is_required():
            payload[name] = "a prompt"
        elif name == "loras" and info.is_required():
            payload[name] = []
        elif name.endswith("_url") and info.is_required():
            payload[name] = "https://example.com/stand-in"
    if frames is not None and "num_frames" in fields:
        payload["num_frames"] = frames
    return payload
