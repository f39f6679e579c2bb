"""Apply a placement profile to a loaded model: `apply_placement(parts, placement, device)` → `AppliedPlacement`.

diffusers does the heavy lifting: layerwise casting (fp8 storage, bf16 compute) and block-level group
offloading with prefetch on a side stream. Written here, because neither covers it: keeping a module's
weights in pinned host memory and moving them to the device and back around the text phase (`HostHome`,
the same `.data` swap diffusers' group offloading does, for whole modules on demand).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import torch

from ltxserve.engine.memory.profiles import Placement

if TYPE_CHECKING:
    from diffusers.models.autoencoders.autoencoder_kl_ltx2 import AutoencoderKLLTX2Video
    from diffusers.models.autoencoders.autoencoder_kl_ltx2_audio import AutoencoderKLLTX2Audio
    from diffusers.models.transformers.transformer_ltx2 import LTX2VideoTransformer3DModel
    from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel
    from diffusers.pipelines.ltx2.vocoder import LTX2VocoderWithBWE
    from transformers import Gemma3ForConditionalGeneration

log = logging.getLogger("ltxserve.engine")
FP8 = torch.float8_e4m3fn
# Gemma's embedding table and norms stay in bf16 under fp8 storage (diffusers skips norms by default too).
TEXT_FP8_SKIP = ("norm", "embed", "lm_head", "vision_tower", "multi_modal_projector")


class HostHome:
    """A module whose weights live in (pinned) host memory and visit the device on demand.

    The host copies are never modified: `offload()` just points each tensor back at its host copy, so a
    round trip costs one host→device copy and frees the device copy.
    """

    def __init__(self, module: torch.nn.Module, device: torch.device) -> None:
        self.module, self.device = module, device
        pin = device.type == "cuda"
        self.host: dict[int, torch.Tensor] = {}
        for tensor in self._tensors():
            host = tensor.data.to("cpu")
            self.host[id(tensor)] = host.pin_memory() if pin else host
            tensor.data = self.host[id(tensor)]
        self.on_device = device.type == "cpu"

    def _tensors(self) -> Iterator[torch.Tensor]:
        yield from self.module.parameters()
        yield from self.module.buffers()

    def onload(self) -> None:
        if self.on_device:
            return
        for tensor in self._tensors():
            tensor.data = self.host[id(tensor)].to(self.device, non_blocking=True)
        self.on_device = True

    def offload(self) -> None:
        if not self.on_device or self.device.type == "cpu":
            return
        for tensor in self._tensors():
            tensor.data = self.host[id(tensor)]
        self.on_device = False


@dataclass
class AppliedPlacement:
    """A profile applied to one loaded model; `text_phase()` brackets every use of the text encoder."""

    placement: Placement
    device: torch.device
    text_homes: list[HostHome] = field(default_factory=list)
    transformer_home: HostHome | None = None

    _in_text_phase: bool = False

    @contextmanager
    def text_session(self) -> Iterator[None]:
        """Bracket the steps that may use the text encoder; `need_text()` inside moves it in (once) and the
        session's end moves it out again. Nothing moves when every prompt comes from the cache."""
        try:
            yield
        finally:
            if self._in_text_phase:
                self._leave_text_phase()

    def need_text(self) -> None:
        """Gemma and the connectors on the device now (the transformer on the host when the profile says so)."""
        if self._in_text_phase:
            return
        if self.transformer_home is not None:
            self.transformer_home.offload()
        for home in self.text_homes:
            home.onload()
        self._in_text_phase = True

    def _leave_text_phase(self) -> None:
        for home in self.text_homes:
            home.offload()
        if self.transformer_home is not None:
            self.transformer_home.onload()
        self._in_text_phase = False
        if self.device.type == "cuda":
            torch.cuda.empty_cache()  # hand the freed blocks back before the big activations come

    def describe(self) -> dict[str, str]:
        return {"profile": self.placement.profile, "device": str(self.device), **self.placement.describe()}


class PlacedParts(Protocol):
    """What placement moves: `engine.model.ModelParts` (which engine.memory may not import)."""

    @property
    def transformer(self) -> LTX2VideoTransformer3DModel: ...
    @property
    def language_model(self) -> Gemma3ForConditionalGeneration | None: ...
    @property
    def connectors(self) -> LTX2TextConnectors: ...
    @property
    def video_vae(self) -> AutoencoderKLLTX2Video: ...
    @property
    def audio_vae(self) -> AutoencoderKLLTX2Audio: ...
    @property
    def vocoder(self) -> LTX2VocoderWithBWE: ...
    @property
    def upsampler(self) -> LTX2LatentUpsamplerModel | None: ...
    @property
    def dtype(self) -> torch.dtype: ...


def apply_placement(parts: PlacedParts, placement: Placement, device: str | torch.device) -> AppliedPlacement:
    """Put `parts` (engine.model.ModelParts, loaded on the host or the device) where `placement` says."""
    device = torch.device(device)
    applied = AppliedPlacement(placement, device)
    transformer = parts.transformer
    if placement.transformer_storage == "float8":
        # diffusers' LTX-2 transformer skips its norms itself (`_skip_layerwise_casting_patterns`).
        transformer.enable_layerwise_casting(storage_dtype=FP8, compute_dtype=parts.dtype)
    if placement.transformer_streamed:
        _move(transformer, "cpu")
        transformer.enable_group_offload(
            onload_device=device,
            offload_device=torch.device("cpu"),
            offload_type="block_level",
            num_blocks_per_group=1,
            use_stream=device.type == "cuda",
            non_blocking=device.type == "cuda",
        )
    elif placement.transformer_leaves_for_text:
        applied.transformer_home = HostHome(transformer, device)
        applied.transformer_home.onload()
    else:
        _move(transformer, device)
    if placement.text_storage == "float8" and parts.language_model is not None:
        from diffusers.hooks import apply_layerwise_casting

        apply_layerwise_casting(parts.language_model, FP8, parts.dtype, skip_modules_pattern=TEXT_FP8_SKIP)
    text_modules: list[torch.nn.Module] = [
        m for m in (parts.language_model, parts.connectors) if m is not None
    ]
    if placement.text_on_device:
        for module in text_modules:
            _move(module, device)
    else:
        applied.text_homes = [HostHome(module, device) for module in text_modules]
    for decoder in (parts.video_vae, parts.audio_vae, parts.vocoder, parts.upsampler):
        if decoder is not None:
            _move(decoder, device)
    log.info("placement: %s", applied.describe())
    return applied


def _move(module: torch.nn.Module, device: str | torch.device) -> None:
    """`module.to(device)` seen as `nn.Module.to`: diffusers wraps its `to` in `functools.wraps`, whose
    type mypy cannot bind as a method (the call still runs diffusers' override)."""
    module.to(device)
