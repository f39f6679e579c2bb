"""The engine: one loaded model, and `generate()` as an outline of named stages."""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from ltxserve.arrays.audio import fit_length, to_stereo
from ltxserve.engine.adapters.lora import TextSignature
from ltxserve.engine.adapters.per_request import RequestAdapters
from ltxserve.engine.generation import schedules
from ltxserve.engine.generation.attention import use_attention
from ltxserve.engine.generation.compiled import compile_blocks
from ltxserve.engine.generation.conditioning import audio_tokens, renoise_tokens, video_tokens
from ltxserve.engine.generation.denoiser import Denoiser, StageInputs
from ltxserve.engine.generation.loop import SamplerOptions, denoise
from ltxserve.engine.generation.passes import install_pass_controls
from ltxserve.engine.generation.reuse import with_guidance_reuse
from ltxserve.engine.generation.tiling import Tiling
from ltxserve.engine.generation.tokens import TokenState, pack_video, unpack_audio, unpack_video
from ltxserve.engine.generation.tuning import Tuning
from ltxserve.engine.generation.upsample import upsample_video_tokens
from ltxserve.engine.generation.vae import decode_audio, decode_video
from ltxserve.engine.geometry import LatentGeometry, joint_request
from ltxserve.engine.guidance import CONDITIONAL_ONLY, GuidancePass, request_batch
from ltxserve.engine.memory.placement import AppliedPlacement, apply_placement
from ltxserve.engine.memory.profiles import placement_for
from ltxserve.engine.model import ModelParts
from ltxserve.engine.request import EngineRequest, GenerationResult, Guidance
from ltxserve.engine.text.encode import TextContext, encode_prompt
from ltxserve.engine.text.expander import GemmaExpander
from ltxserve.engine.text.prompts import ExpansionRequest, PromptExpander

ProgressFn = Callable[[str, int, int], None]
CancelFn = Callable[[], bool]

MAX_SEED = 2**31 - 1
PROMPT_CACHE_SIZE = 32


@dataclass(frozen=True)
class StageResult:
    video: TokenState
    audio: TokenState


class Engine:
    """LTX-2.3 loaded once per process; `generate` is safe to call repeatedly (not concurrently)."""

    def __init__(
        self, parts: ModelParts, tuning: Tuning | None = None, placement: AppliedPlacement | None = None
    ) -> None:
        self.parts = parts
        self.tuning = tuning or Tuning()
        # Where each part lives (engine/memory/placement.py); everything on the model's device by default.
        self.placement = placement or AppliedPlacement(placement_for("resident"), parts.device)
        # Prompt expansion with the loaded Gemma; the worker may swap in another expander (settings).
        self.expander: PromptExpander = GemmaExpander(parts)
        self.denoiser = Denoiser(parts.transformer, install_pass_controls(parts.transformer), parts.dtype)
        # After the pass controls: the wrappers forward the backend to the processors they wrap.
        self.attention = use_attention(parts.transformer, self.tuning.attention)
        self.compiled = compile_blocks(parts.transformer, self.tuning.compile)
        self.adapters = RequestAdapters(
            parts.transformer,
            parts.connectors,
            parts.distilled_lora_path,
            compute_dtype=parts.dtype,
            cache_bytes=self.tuning.lora_memory_bytes,
        )
        # Prompt encodings by text: negative prompts are mostly the endpoints' defaults, and users retry
        # prompts with other seeds, so a small cache skips the text encoder for most requests.
        self._prompts: OrderedDict[tuple[str, TextSignature], TextContext] = OrderedDict()

    @classmethod
    def load(
        cls,
        model_dir: str | Path,
        device: str = "cpu",
        dtype: torch.dtype = torch.float32,
        tuning: Tuning | None = None,
        profile: str = "resident",
    ) -> Engine:
        """Load the model folder under a placement profile (docs/memory.md); `resident` loads straight onto
        the device, the others load on the host and `apply_placement` moves what belongs on the device."""
        parts = ModelParts.load(
            Path(model_dir), device=device if profile == "resident" else "cpu", dtype=dtype
        )
        placement = apply_placement(parts, placement_for(profile), device)
        return cls(replace(parts, compute_device=torch.device(device)), tuning, placement)

    def generate(
        self,
        request: EngineRequest,
        on_progress: ProgressFn | None = None,
        should_cancel: CancelFn | None = None,
    ) -> GenerationResult:
        progress = on_progress or (lambda stage, step, total: None)
        cancelled = should_cancel or (lambda: False)
        # Every mode runs as one joint audio-video generation (text-to-audio without pixels), with one
        # latent geometry computed here and passed down.
        request = joint_request(self._distilled_weights(request))
        geometry = LatentGeometry.of(request, self.parts.channels, self.parts.scales)
        seed = request.seed if request.seed is not None else random.randint(0, MAX_SEED)
        generator = torch.Generator("cpu").manual_seed(seed)
        with torch.inference_mode(), self.adapters.applied(request) as adapters:
            with self.placement.text_session():
                # 0. Prompt expansion (on failure the user's prompt is kept and a warning returned)
                warnings: list[str] = []
                if request.enable_prompt_expansion:
                    request = self._expand_prompt(request, seed, progress, warnings)
                # 1. Text
                progress("encode_prompt", 0, 1)
                inputs = self._stage_inputs(request, geometry, adapters.text_signature())
                progress("encode_prompt", 1, 1)
            # 2. Denoise: stage 1 (at half size when two-stage); entering it attaches the LoRAs
            adapters.enter_stage(0)
            if adapters.fallback_warning:
                warnings.append(adapters.fallback_warning)
            result = self._first_stage(request, geometry, inputs, generator, progress, cancelled)
            # 3. Upsample and refine (two-stage)
            if geometry.two_stage:
                adapters.enter_stage(1)
                result = self._refine_stage(request, geometry, inputs, result, generator, progress, cancelled)
            # 4. Decode
            frames = self._decode_video(geometry, result.video, progress)
            waveform, rate = self._decode_audio(request, geometry, result.audio, progress)
        return GenerationResult(
            frames=frames,
            waveform=waveform,
            sample_rate=rate,
            fps=request.fps,
            seed=seed,
            prompt=request.prompt,
            width=geometry.video.width,
            height=geometry.video.height,
            num_frames=request.num_frames,
            warnings=tuple(warnings),
        )

    # -- stages ---------------------------------------------------------------------------------------

    def _distilled_weights(self, request: EngineRequest) -> EngineRequest:
        """A distilled request runs a distilled checkpoint as it is, a dev one with the distilled LoRA at
        full strength in both stages (docs/endpoints.md)."""
        if not request.distilled:
            return request
        return replace(request, distill_lora_scales=(0.0, 0.0) if self.parts.distilled else (1.0, 1.0))

    def _expand_prompt(
        self, request: EngineRequest, seed: int, progress: ProgressFn, warnings: list[str]
    ) -> EngineRequest:
        """The request with the expanded prompt, or unchanged (plus a warning) when expansion fails."""
        progress("expand_prompt", 0, 1)
        image = request.image.pixels if request.image is not None else None
        try:
            self.placement.need_text()
            prompt = self.expander.expand(ExpansionRequest(request.mode, request.prompt, seed, image))
        except Exception as exc:  # expansion is an extra: it never fails the job
            warnings.append(f"Prompt expansion failed ({exc}); using the original prompt.")
            prompt = request.prompt
        progress("expand_prompt", 1, 1)
        return replace(request, prompt=prompt)

    def _stage_inputs(
        self, request: EngineRequest, geometry: LatentGeometry, text_adapters: TextSignature
    ) -> StageInputs:
        """Prompt contexts and guidance for stage 1 (frozen input audio takes no audio guidance)."""
        batch = request_batch(request)
        positive = self._encode(request.prompt, text_adapters)
        negative = (
            self._encode(request.negative_prompt, text_adapters)
            if GuidancePass.NEGATIVE in batch.passes
            else None
        )
        return StageInputs(
            positive=positive,
            negative=negative,
            video_guidance=request.video_guidance,
            audio_guidance=request.audio_guidance,
            batch=batch,
            stg_blocks=request.stg_blocks
            if request.stg_blocks is not None
            else self.parts.default_stg_blocks,
            fps=request.fps,
            stand_in_video=not geometry.has_video,
        )

    def _encode(self, prompt: str, text_adapters: TextSignature) -> TextContext:
        """Encode (or reuse) a prompt; LoRAs on the text connectors are part of the cache key."""
        key = (prompt, text_adapters)
        if key in self._prompts:
            self._prompts.move_to_end(key)
            return self._prompts[key]
        self.placement.need_text()
        context = encode_prompt(self.parts, prompt)
        self._prompts[key] = context
        while len(self._prompts) > PROMPT_CACHE_SIZE:
            self._prompts.popitem(last=False)
        return context

    def _first_stage(
        self,
        request: EngineRequest,
        geometry: LatentGeometry,
        inputs: StageInputs,
        generator: torch.Generator,
        progress: ProgressFn,
        cancelled: CancelFn,
    ) -> StageResult:
        """Noise plus the request's conditions, denoised with the request's scheduler and guidance."""
        context = request.video_context
        audio = audio_tokens(self.parts, geometry, request.audio, generator, context=context)
        video = video_tokens(
            self.parts,
            geometry,
            geometry.first_stage,
            request.image,
            request.end_image,
            generator,
            context=context,
        )
        # The reference's fixed token count for the ltx2 shift, whatever the size (docs/engine.md).
        sigmas = schedules.sigmas_for(request.scheduler, request.num_inference_steps)
        options = SamplerOptions(
            gradient_gamma=request.gradient_estimation_gamma, restart=request.use_restart_sampling
        )
        model = with_guidance_reuse(self.denoiser, request.acceleration, len(sigmas) - 1)
        stage = "denoise_stage1" if geometry.two_stage else "denoise"
        video, audio = denoise(
            model,
            inputs,
            video,
            audio,
            sigmas,
            options,
            generator,
            lambda step, total: progress(stage, step, total),
            cancelled,
        )
        return StageResult(video, audio)

    def _refine_stage(
        self,
        request: EngineRequest,
        geometry: LatentGeometry,
        inputs: StageInputs,
        first: StageResult,
        generator: torch.Generator,
        progress: ProgressFn,
        cancelled: CancelFn,
    ) -> StageResult:
        """Upsample ×2 in latent space, re-noise to the refine schedule's start, refine without guidance."""
        progress("upsample", 0, 1)
        latent = unpack_video(first.video.output_tokens(), geometry.first_stage.shape)
        upsampled = upsample_video_tokens(self.parts, latent)
        progress("upsample", 1, 1)
        sigmas = schedules.refine_sigmas()
        video = video_tokens(
            self.parts,
            geometry,
            geometry.video,
            request.image,
            request.end_image,
            generator,
            sigma=sigmas[0],
            start=pack_video(upsampled),
            context=request.video_context,
        )
        audio = renoise_tokens(first.audio, sigmas[0], generator)
        unguided = replace(
            inputs,
            negative=None,
            video_guidance=Guidance(),
            audio_guidance=Guidance(),
            batch=CONDITIONAL_ONLY,
        )
        video, audio = denoise(
            self.denoiser,
            unguided,
            video,
            audio,
            sigmas,
            SamplerOptions(),
            generator,
            lambda step, total: progress("refine", step, total),
            cancelled,
        )
        return StageResult(video, audio)

    def _decode_video(
        self, geometry: LatentGeometry, video: TokenState, progress: ProgressFn
    ) -> np.ndarray | None:
        """Frames (F, H, W, 3) uint8; none for the stand-in stream of a request without pixels."""
        if not geometry.has_video:
            return None
        progress("decode_video", 0, 1)
        tiling = Tiling() if self.placement.placement.tiled_decode else None
        latent = unpack_video(video.output_tokens(), geometry.video.shape)
        frames = decode_video(self.parts.video_vae, latent, tiling)
        progress("decode_video", 1, 1)
        return frames[: geometry.num_frames]

    def _decode_audio(
        self, request: EngineRequest, geometry: LatentGeometry, audio: TokenState, progress: ProgressFn
    ) -> tuple[np.ndarray | None, int]:
        if not request.generate_audio:
            return None, self.parts.audio_output_rate
        seconds = geometry.seconds
        if request.audio is not None and request.audio.frozen:
            # The input conditions the video unchanged: hand it back exactly, at its own rate.
            return _exact_input(
                request.audio.track, request.audio.sample_rate, seconds
            ), request.audio.sample_rate
        progress("decode_audio", 0, 1)
        waveform = decode_audio(
            self.parts.audio_vae, self.parts.vocoder, unpack_audio(audio.output_tokens(), geometry.audio)
        )
        rate = self.parts.audio_output_rate
        progress("decode_audio", 1, 1)
        return fit_length(waveform, round(seconds * rate)), rate


def _exact_input(waveform: np.ndarray, rate: int, seconds: float) -> np.ndarray:
    """The input audio as stereo, trimmed (or padded with silence) to the video's duration."""
    return fit_length(to_stereo(np.asarray(waveform, dtype=np.float32)), round(seconds * rate))
