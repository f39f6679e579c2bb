"""Resolved media to finished engine inputs: images and audio prepared as the model expects, LoRA files.

Model preprocessing happens here, in the plan, so the engine receives inputs it uses as they are:
conditioning images are fitted to the output size (cover, centre crop, Lanczos) and round-tripped through
H.264 at CRF 33 as the reference does; 22b audio-to-video's `preprocess_audio` shapes the conditioning
copy of the input audio. Pillow and PyAV load on first use only: the API process imports the catalogue
for its schemas and plans stand-in requests for its memory check, and never loads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ltxserve.endpoints.common import LoRAInput
from ltxserve.endpoints.registry import PlanError, ResolvedMedia
from ltxserve.engine.request import AudioInput, ImageInput, LoraSpec


def image_shape(media: ResolvedMedia, field: str) -> tuple[int, int] | None:
    """(width, height) of a fetched image, or None when the field was not given."""
    pixels = media.images.get(field)
    return None if pixels is None else (int(pixels.shape[1]), int(pixels.shape[0]))


def image_input(
    media: ResolvedMedia, field: str, url: str | None, strength: float, size: tuple[int, int]
) -> ImageInput | None:
    """The conditioning image for `field`, prepared for a (width, height) output; None without a URL."""
    if url is None:
        return None
    pixels = media.images.get(field)
    if pixels is None:
        raise PlanError((field,), f"{field} was given but not fetched", "file_download_error")
    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
        raise PlanError((field,), f"{field} must decode to an RGB uint8 image", "image_load_error")
    return conditioning_image(pixels, strength, size, media.stand_in)


def conditioning_image(
    pixels: np.ndarray, strength: float, size: tuple[int, int], stand_in: bool = False
) -> ImageInput:
    """(H, W, 3) uint8 → (height, width, 3): fitted to the output size, then the reference's H.264 CRF-33
    round trip (the model was trained on frames with H.264 artefacts; a pristine still makes it freeze
    the first frame). A stand-in becomes a grey view of the output size (no pixel work)."""
    width, height = size
    if stand_in:
        return ImageInput(pixels=np.broadcast_to(pixels[:1, :1], (height, width, 3)), strength=strength)
    from ltxserve.arrays.image import fit_image
    from ltxserve.media.image_fit import recompress_like_reference

    return ImageInput(pixels=recompress_like_reference(fit_image(pixels, width, height)), strength=strength)


def audio_input(media: ResolvedMedia, field: str, strength: float, prepare: bool = False) -> AudioInput:
    """The input audio track for `field` (its length must be positive); `prepare`: 22b's
    `preprocess_audio`, applied to the conditioning copy only."""
    fetched = media.audio.get(field)
    if fetched is None:
        raise PlanError((field,), f"{field} was not fetched", "file_download_error")
    waveform, sample_rate = fetched
    if waveform.ndim != 2 or waveform.shape[1] == 0 or sample_rate <= 0:
        raise PlanError((field,), f"{field} holds no audio samples", "unsupported_audio_format")
    audio = AudioInput(waveform=waveform, sample_rate=sample_rate, strength=strength)
    return prepared_audio(audio) if prepare and not media.stand_in else audio


def prepared_audio(audio: AudioInput) -> AudioInput:
    """`preprocess_audio`: DC removal and loudness normalisation of the waveform that conditions
    generation (nothing trimmed, so the video stays in sync); the output keeps the user's track
    (`AudioInput.original`, docs/media.md)."""
    from ltxserve.media.audio_prep import conditioning_audio

    shaped = conditioning_audio(audio.waveform, audio.sample_rate)
    return replace(audio, waveform=shaped, original=audio.waveform)


def audio_duration(audio: AudioInput) -> float:
    """Seconds of audio in a (channels, samples) waveform."""
    return audio.waveform.shape[1] / audio.sample_rate


def lora_specs(inp: Any, media: ResolvedMedia) -> tuple[LoraSpec, ...]:
    """The user's LoRAs (endpoints with `loras`), then the camera LoRA (22b endpoints' `camera_lora`)."""
    user = user_loras(getattr(inp, "loras", None) or (), media)
    camera = camera_lora(getattr(inp, "camera_lora", "none"), getattr(inp, "camera_lora_scale", 1.0), media)
    return user if camera is None else (*user, camera)


def user_loras(loras: Sequence[LoRAInput], media: ResolvedMedia) -> tuple[LoraSpec, ...]:
    """User LoRAs as engine specs, each pointing at the local file the caller downloaded."""
    specs = []
    for index, lora in enumerate(loras):
        local = media.loras.get(index)
        if local is None:
            raise PlanError(("loras", index, "path"), "LoRA was not fetched", "file_download_error")
        specs.append(LoraSpec(path=local, scale=lora.scale, target=lora.transformer))
    return tuple(specs)


def camera_lora(value: str, scale: float, media: ResolvedMedia) -> LoraSpec | None:
    """The camera-motion LoRA on both streams at `camera_lora_scale`; None for `none`."""
    if value == "none":
        return None
    if media.camera_lora is None:
        raise PlanError(("camera_lora",), f"no camera LoRA file for {value!r}", "file_download_error")
    return LoraSpec(path=media.camera_lora, scale=scale, target="both", kind="camera")
