"""The production `JobRunner`: validate → resolve every input → plan → generate → encode → store.

`run` is the outline of one job; the endpoint's plan (`endpoints/`) is the one place the engine's request
is built, from the validated input and its resolved files (`worker/inputs.py`)."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ltxserve.endpoints import Endpoint, Plan, get_endpoint
from ltxserve.endpoints.common import OutputOptions, output_options
from ltxserve.endpoints.sizes import check_model_grid
from ltxserve.engine.request import (
    EngineRequest,
    GenerationCancelled,
    GenerationResult,
)
from ltxserve.engine.text.prompts import ExpansionOptions, PromptExpander
from ltxserve.files.lora_cache import LoraCache
from ltxserve.jobs.records import JobFailure, model_error
from ltxserve.media.limits import MediaLimits
from ltxserve.safety import ModerationUnavailable, SafetyChecker, Violation
from ltxserve.worker.encode import encode_result
from ltxserve.worker.extend import stitched
from ltxserve.worker.inputs import failure, resolve_media
from ltxserve.worker.lora_sources import LoraSources
from ltxserve.worker.memory_plan import MemoryPlan, plan_memory
from ltxserve.worker.runner import JobCancelled, JobError, RunContext

log = logging.getLogger("ltxserve.worker")

if TYPE_CHECKING:
    from collections.abc import Callable

    from ltxserve.engine.generation.pipeline import Engine
    from ltxserve.engine.generation.tuning import Tuning
    from ltxserve.settings import Settings


class EngineRunner:
    """Runs jobs on one loaded `Engine` (loaded by `load()`, once per worker process)."""

    def __init__(
        self,
        model_dir: Path,
        device: str = "cpu",
        limits: MediaLimits | None = None,
        safety: SafetyChecker | None = None,
        expander: PromptExpander | None = None,
        expansion: ExpansionOptions | None = None,
        loras: LoraSources | None = None,
        tuning: Tuning | None = None,
        memory: str = "auto",
        dtype: str = "auto",
        allow_cpu: bool = False,
    ) -> None:
        self.model_dir = model_dir
        self.device = device
        # The placement profile (`auto` or forced), dtype and CPU policy: see worker/memory_plan.py.
        self.memory, self.dtype, self.allow_cpu = memory, dtype, allow_cpu
        self.memory_plan: MemoryPlan | None = None
        self.limits = limits or MediaLimits()
        self.safety = safety or SafetyChecker()
        # None: expansion with the engine's own Gemma (with `expansion` options).
        self.expander = expander
        self.expansion = expansion
        self.loras = loras or LoraSources()
        self.tuning = tuning  # None: the engine's defaults
        self.engine: Engine | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, model_dir: Path, device: str, standalone: bool = False
    ) -> EngineRunner:
        """The runner with the operator's safety and expansion choices (docs/safety.md)."""
        from ltxserve.engine.generation.tuning import Tuning
        from ltxserve.expansion.configure import chat_expander, expansion_options
        from ltxserve.safety.configure import safety_checker

        return cls(
            model_dir,
            device=device,
            limits=MediaLimits(
                settings.max_input_bytes,
                settings.max_image_pixels,
                settings.min_image_side,
                settings.max_audio_seconds,
            ),
            safety=safety_checker(settings, standalone),
            expander=chat_expander(settings),
            expansion=expansion_options(settings),
            loras=LoraSources(
                cache=None if standalone else LoraCache(settings.lora_cache_dir, settings.lora_cache_bytes),
                local_dirs=tuple(settings.lora_local_dirs),
                camera=settings.camera_loras,
            ),
            tuning=Tuning.from_settings(settings),
            memory=settings.memory,
            dtype=settings.dtype,
            allow_cpu=settings.allow_cpu,
        )

    def load(self, profile: str | None = None) -> None:
        """Plan memory (device, dtype, profile: docs/memory.md), then load the model under that plan."""
        self._loaded(profile)

    def _loaded(self, profile: str | None = None) -> Engine:
        """The engine, loaded first when it is not."""
        if self.engine is None:
            import torch

            from ltxserve.engine.generation.pipeline import Engine

            plan = plan_memory(
                self.model_dir, self.device, profile or self.memory, self.dtype, self.allow_cpu
            )
            self.memory_plan, self.device = plan, plan.device
            log.info("memory plan: %s", {k: v for k, v in plan.to_json().items() if k != "sizes"})
            dtype = getattr(torch, plan.dtype)
            engine = Engine.load(
                self.model_dir, device=plan.device, dtype=dtype, tuning=self.tuning, profile=plan.profile
            )
            check_model_grid(engine.parts.scales)
            if self.expander is not None or self.expansion is not None:
                from ltxserve.engine.text.expander import GemmaExpander

                engine.expander = self.expander or GemmaExpander(engine.parts, self.expansion)
            self.engine = engine
        return self.engine

    def serves(self) -> frozenset[str]:
        """The endpoints the loaded model can run (routing by capability, docs/deploy.md).

        A distilled checkpoint serves the distilled family only (the dev and quality tiers need the dev
        weights); a dev checkpoint serves the whole catalogue, the distilled family through the distilled
        LoRA. The memory plan needs no filter here: `auto` picks a profile that fits every endpoint's default
        request, and a forced profile that does not is warned about at start.
        """
        from ltxserve.endpoints import ENDPOINTS

        if not self._loaded().parts.distilled:
            return frozenset(ENDPOINTS)
        return frozenset(i for i in ENDPOINTS if "/distilled/" in i)

    def run(self, endpoint_id: str, input: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
        self.load()
        endpoint = get_endpoint(endpoint_id)
        validated = endpoint.input_model.model_validate(input)
        options = output_options(validated)
        checked = self.safety.enabled(options.enable_safety_checker)
        # Safety: the prompt before anything is fetched, input images once decoded, the output before
        # anything is encoded or stored (a refused job leaves no file behind).
        self.screen(checked, lambda: self.safety.check_prompt(str(getattr(validated, "prompt", ""))))
        with tempfile.TemporaryDirectory(prefix="ltxserve-job-") as scratch:
            plan = self.plan(endpoint, validated, ctx, Path(scratch))
            request = plan.request
            self.screen(checked, lambda: self.safety.check_images(input_images(request)))
            ctx.log(describe(request))
            result = stitched(plan.stitch, self.generate(request, ctx))
            for warning in result.warnings:
                ctx.log(warning, "WARN")
            self.screen(checked, lambda: self.check_output(request, result))
            return self.finish(endpoint, options, result, ctx, Path(scratch))

    def screen(self, enabled: bool, check: Callable[[], Violation | None]) -> None:
        """Run one safety check when checking is on; a finding fails the job (`content_policy_violation`)."""
        if not enabled:
            return
        try:
            violation = check()
        except ModerationUnavailable as exc:
            raise JobError(
                model_error("downstream_service_error", str(exc), ["body"], retryable=True, status_code=503)
            ) from exc
        if violation is not None:
            raise JobError(violation_failure(violation))

    def check_output(self, request: EngineRequest, result: GenerationResult) -> Violation | None:
        """An expanded prompt (we return it to the user) against the prompt checks, then sampled frames."""
        if result.prompt != request.prompt and (violation := self.safety.check_prompt(result.prompt)):
            return violation
        return self.safety.check_frames(result.frames, result.fps) if result.frames is not None else None

    def plan(self, endpoint: Endpoint, validated: BaseModel, ctx: RunContext, scratch: Path) -> Plan:
        """Resolve every input (files, uploads, the user's and the camera LoRA), then the endpoint's plan
        builds the finished request; nothing rewrites it afterwards."""
        from ltxserve.endpoints import PlanError

        media = resolve_media(endpoint, validated, ctx, scratch, self.limits, self.loras)
        try:
            return endpoint.plan(validated, media)
        except PlanError as exc:
            raise JobError(failure(exc.detail())) from exc

    def generate(self, request: EngineRequest, ctx: RunContext) -> GenerationResult:
        """Generate; out of device memory, free everything, reload under the next more frugal profile and
        retry once, then fail with an error naming the size fields (docs/memory.md)."""
        try:
            return self._generate(request, ctx)
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            frugal = self._more_frugal_profile()
            if frugal is None:
                raise JobError(out_of_memory_failure(self._profile(), self.device)) from exc
            ctx.log(f"Out of GPU memory under the {self._profile()} profile; retrying under {frugal}", "WARN")
            self.unload()
            self.load(frugal)
        try:
            return self._generate(request, ctx)
        except Exception as exc:
            if is_out_of_memory(exc):
                raise JobError(out_of_memory_failure(self._profile(), self.device)) from exc
            raise

    def _profile(self) -> str:
        return self.memory_plan.profile if self.memory_plan else "resident"

    def _more_frugal_profile(self) -> str | None:
        from ltxserve.engine.memory.profiles import PROFILES

        index = PROFILES.index(self._profile())
        return PROFILES[index + 1] if index + 1 < len(PROFILES) else None

    def unload(self) -> None:
        """Drop the engine and give its device memory back."""
        import gc

        import torch

        self.engine = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _generate(self, request: EngineRequest, ctx: RunContext) -> GenerationResult:
        from ltxserve.engine.adapters.per_request import AdapterError

        try:
            return self._loaded().generate(request, on_progress=ctx.progress, should_cancel=ctx.should_cancel)
        except GenerationCancelled as exc:
            raise JobCancelled() from exc
        except AdapterError as exc:
            loc: tuple[str | int, ...] = (
                ("body", exc.field) if exc.index is None else ("body", "loras", exc.index)
            )
            detail = {"loc": list(loc), "msg": str(exc), "type": "lora_load_error"}
            raise JobError(failure(detail)) from exc

    def finish(
        self,
        endpoint: Endpoint,
        options: OutputOptions,
        result: GenerationResult,
        ctx: RunContext,
        scratch: Path,
    ) -> dict[str, Any]:
        encoded = encode_result(endpoint.output_field, result, options, scratch)
        file = ctx.store_output(encoded.data, encoded.content_type, encoded.file_name, encoded.extra)
        return {endpoint.output_field: file, "seed": result.seed, "prompt": result.prompt}


def is_out_of_memory(exc: BaseException) -> bool:
    """A CUDA (or other accelerator) allocation failure, however the library wrapped it."""
    import torch

    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()


def out_of_memory_failure(profile: str, device: str) -> JobFailure:
    """422 naming the size fields: the request did not fit even the most frugal plan this worker tried."""
    msg = (
        f"The request ran out of GPU memory on {device} under the {profile!r} memory profile, after a retry "
        "under a more frugal one. Lower video_size or num_frames."
    )
    ctx = {"profile": profile, "device": device}
    failure = model_error("feature_not_supported", msg, ["body", "num_frames"], ctx=ctx)
    failure.body["detail"].append({**failure.body["detail"][0], "loc": ["body", "video_size"]})
    return failure


def violation_failure(violation: Violation) -> JobFailure:
    """422 `content_policy_violation`, naming the check (and input field) that fired, never the content."""
    loc: list[str | int] = ["body"]
    if violation.check == "prompt":
        loc = ["body", "prompt"]
    elif violation.check == "input_image":
        loc = ["body", violation.field or "image_url"]
    ctx = {"check": violation.check}
    return model_error("content_policy_violation", violation.message, loc, ctx=ctx)


def input_images(request: EngineRequest) -> dict[str, Any]:
    """The conditioning images by their input field, (H, W, 3) uint8, for the safety checker."""
    named = (("image_url", request.image), ("end_image_url", request.end_image))
    return {field: image.pixels for field, image in named if image is not None}


def describe(request: EngineRequest) -> str:
    """The job's first log line: what will be generated (text-to-audio has no video size to report)."""
    if request.mode == "text_to_audio":
        return f"Generating {request.num_frames / request.fps:.2f} s of audio"
    return f"Generating {request.width}x{request.height}, {request.num_frames} frames at {request.fps} fps"
