"""The memory model applied to an endpoint's raw input, before any file is fetched: submit-time checks,
the worker's profile choice and `ltxserve models fit`. Files are stood in for (silent audio as long as
the requested frames, grey images and clips, no LoRA files). No torch here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ltxserve.endpoints.registry import Endpoint, ResolvedMedia
from ltxserve.engine.memory.peaks import GIB, RequestShape, choose_profile, predict_peaks, usable_bytes
from ltxserve.engine.memory.profiles import PROFILES, placement_for
from ltxserve.engine.memory.shape import shape_of
from ltxserve.media.video_in import DecodedVideo

# Without the file, an input audio track is assumed to last the request's own `num_frames` (or this many).
DEFAULT_FRAMES = 121
# An input image stands in at the landscape preset's size (what `video_size: auto` then resolves to).
STAND_IN_IMAGE = (704, 1280)


def shape_for_input(endpoint: Endpoint, payload: dict[str, Any]) -> RequestShape:
    """Plan `payload` (validated by the endpoint's schema; raises pydantic's ValidationError) with stand-in
    media: silent audio as long as the requested frames, grey images, no LoRA files (their size is unknown
    until fetched)."""
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


def stand_in_video(frames: int, fps: float) -> DecodedVideo:
    """A grey 1280×704 clip of `frames` frames that takes one frame of memory (a broadcast view)."""
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


def fit_report(
    endpoint: Endpoint,
    payload: dict[str, Any],
    gpu_memory_gib: float,
    *,
    model: Path | None = None,
    preset: str | None = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """One JSON object: the profile auto picks (or `profile`), whether it fits, its peak and stage peaks."""
    from ltxserve.engine.memory.sizes import model_dir_sizes, preset_sizes

    if profile is not None and profile != "auto":
        placement_for(profile)  # refuses unknown names
    sizes = model_dir_sizes(model) if model is not None else preset_sizes(preset or "")
    budget = int(gpu_memory_gib * GIB)
    payload = dict(payload)
    if "loras" in endpoint.input_model.model_fields and "loras" not in payload:
        payload["loras"] = []
    if "prompt" in endpoint.input_model.model_fields and "prompt" not in payload:
        payload["prompt"] = "a prompt"
    shape = shape_for_input(endpoint, payload)
    every = {name: predict_peaks(sizes, shape, name) for name in PROFILES}
    if profile is None or profile == "auto":
        chosen = choose_profile(sizes, shape, budget) or every[PROFILES[-1]]
    else:
        chosen = every[profile]
    return {
        "endpoint": endpoint.endpoint_id,
        "gpu_memory_gib": gpu_memory_gib,
        "usable_gib": round(usable_bytes(budget) / GIB, 2),
        "request": {
            "width": shape.width if shape.video else 0,
            "height": shape.height if shape.video else 0,
            "num_frames": shape.num_frames,
            "two_stage": shape.two_stage,
            "guidance_passes": shape.passes,
            "distilled_lora": shape.distilled_lora,
        },
        **chosen.to_json(budget),
        "profiles": {name: round(estimate.peak / GIB, 2) for name, estimate in every.items()},
    }
