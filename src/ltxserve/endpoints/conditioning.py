"""Resolved media to engine conditioning: images, input audio and local LoRA files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath
from urllib.parse import urlparse

import numpy as np

from ltxserve.endpoints.common import LoRAInput
from ltxserve.endpoints.registry import PlanError, ResolvedMedia
from ltxserve.engine.request import AudioInput, ImageInput, LoraSpec


def image_shape(media: ResolvedMedia, field: str) -> tuple[int, int] | None:
    """(width, height) of a fetched image, or None when the field was not given."""
    pixels = media.images.get(field)
    return None if pixels is None else (int(pixels.shape[1]), int(pixels.shape[0]))


def image_input(media: ResolvedMedia, field: str, url: str | None, strength: float) -> ImageInput | None:
    """The conditioning image for `field` as decoded (the worker fits it to the size); None without a URL."""
    if url is None:
        return None
    pixels = media.images.get(field)
    if pixels is None:
        raise PlanError((field,), f"{field} was given but not fetched", "file_download_error")
    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
        raise PlanError((field,), f"{field} must decode to an RGB uint8 image", "image_load_error")
    return ImageInput(pixels=pixels, strength=strength)


def audio_input(media: ResolvedMedia, field: str, strength: float) -> AudioInput:
    """The input audio track for `field`; its length must be positive."""
    fetched = media.audio.get(field)
    if fetched is None:
        raise PlanError((field,), f"{field} was not fetched", "file_download_error")
    waveform, sample_rate = fetched
    if waveform.ndim != 2 or waveform.shape[1] == 0 or sample_rate <= 0:
        raise PlanError((field,), f"{field} holds no audio samples", "unsupported_audio_format")
    return AudioInput(waveform=waveform, sample_rate=sample_rate, strength=strength)


def audio_duration(audio: AudioInput) -> float:
    """Seconds of audio in a (channels, samples) waveform."""
    return audio.waveform.shape[1] / audio.sample_rate


def lora_name(path: str, index: int) -> str:
    """A short display name for logs: the URL's file name, else `lora<i>` (data URIs)."""
    name = PurePosixPath(urlparse(path).path).name if path.startswith(("http://", "https://")) else ""
    return name or f"lora{index}"


def lora_specs(loras: Sequence[LoRAInput], media: ResolvedMedia) -> tuple[LoraSpec, ...]:
    """User LoRAs as engine specs, each pointing at the local file the caller downloaded."""
    specs = []
    for index, lora in enumerate(loras):
        local = media.loras.get(index)
        if local is None:
            raise PlanError(("loras", index, "path"), "LoRA was not fetched", "file_download_error")
        specs.append(
            LoraSpec(path=local, scale=lora.scale, target=lora.transformer, name=lora_name(lora.path, index))
        )
    return tuple(specs)
