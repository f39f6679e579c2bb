"""A job's inputs, all resolved before planning: every file the endpoint declares fetched and decoded, every
LoRA (the user's and the camera LoRA) a local file. Nothing is fetched or rewritten after the plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from ltxserve.endpoints import Endpoint, ResolvedMedia
from ltxserve.jobs.records import JobFailure, model_error
from ltxserve.media import errors as media_errors
from ltxserve.media.audio_in import decode_audio
from ltxserve.media.image_in import decode_image
from ltxserve.media.limits import MediaLimits
from ltxserve.media.video_in import DecodedVideo, decode_video
from ltxserve.worker.lora_sources import LoraSources
from ltxserve.worker.runner import JobError, RunContext


def resolve_media(
    endpoint: Endpoint,
    validated: BaseModel,
    ctx: RunContext,
    scratch: Path,
    limits: MediaLimits,
    loras: LoraSources | None = None,
) -> ResolvedMedia:
    """Read every URL input the endpoint declares and the LoRA files; decoding errors become fal-typed
    job failures naming the field."""
    sources = loras or LoraSources()
    images: dict[str, np.ndarray] = {}
    audio: dict[str, tuple[np.ndarray, int]] = {}
    videos: dict[str, DecodedVideo] = {}
    lora_files: dict[int, str] = {}
    try:
        for field in endpoint.file_fields:
            if field == "loras":
                for index, lora in enumerate(getattr(validated, "loras", None) or []):
                    loc = ("body", "loras", index, "path")
                    lora_files[index] = sources.fetch(ctx, loc, lora.path, scratch)
                continue
            url = getattr(validated, field, None)
            if not url:
                continue
            fetched = ctx.read_input(("body", field), url, limits.max_input_bytes)
            if field.startswith("video"):
                videos[field] = decode_video(fetched.data, field=field, limits=limits)
            elif field.startswith("audio"):
                # The user's waveform as decoded: `preprocess_audio` shapes only the engine's
                # conditioning copy (the plan), so an audio_strength of 1 returns this track unchanged.
                decoded = decode_audio(fetched.data, field=field, limits=limits)
                audio[field] = (decoded.waveform, decoded.sample_rate)
            else:
                images[field] = decode_image(fetched.data, field=field, limits=limits)
    except media_errors.MediaError as exc:
        raise JobError(failure(exc.to_detail())) from exc
    camera = getattr(validated, "camera_lora", "none")
    camera_file = sources.camera_file(ctx, camera, scratch) if camera != "none" else None
    return ResolvedMedia(images=images, audio=audio, loras=lora_files, videos=videos, camera_lora=camera_file)


def failure(detail: dict[str, Any]) -> JobFailure:
    """One fal-shaped 422 item (`loc`, `msg`, `type`, optional `ctx`) as a non-retryable job failure."""
    loc = list(detail["loc"])
    if loc[:1] != ["body"]:
        loc = ["body", *loc]
    return model_error(str(detail["type"]), str(detail["msg"]), loc, ctx=detail.get("ctx"))
