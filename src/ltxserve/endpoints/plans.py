"""Validated input + resolved media → `Plan` (the `EngineRequest`, finished): a tier (how sampling is set)
times a kind (what conditions the video). A kind reads top to bottom: the output size, then each input
prepared for the model at that size (`conditioning.py`), then the request. Fields an endpoint lacks take
the engine's neutral value (`getattr` defaults)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ltxserve.endpoints.conditioning import audio_duration, audio_input, image_input, image_shape, lora_specs
from ltxserve.endpoints.registry import Plan, ResolvedMedia
from ltxserve.endpoints.sizes import AutoPolicy, frames_for_audio, resolve_size, round_frames
from ltxserve.engine.request import EngineRequest, Guidance, ImageInput

Inputs = Any  # a validated input model of the catalogue; plans read its fields by name


@dataclass(frozen=True)
class Tier:
    """How a family names its rate and size fields and maps its fields to sampling settings."""

    fps_field: str
    size_field: str
    auto_policy: AutoPolicy  # `auto` with an image: its own size ("fit") or its aspect ("aspect")
    sampling: Callable[[Inputs], dict[str, Any]]


def dev_sampling(inp: Inputs) -> dict[str, Any]:
    """22b: every guidance and sampling control as the user set it."""
    return {
        "num_inference_steps": inp.num_inference_steps,
        "scheduler": inp.scheduler,
        "video_guidance": Guidance(
            cfg=inp.video_cfg_scale,
            stg=inp.video_stg_scale,
            rescale=inp.video_rescaling_scale,
            modality=inp.video_modality_scale,
        ),
        "audio_guidance": Guidance(
            cfg=inp.audio_cfg_scale,
            stg=inp.audio_stg_scale,
            rescale=inp.audio_rescaling_scale,
            modality=inp.audio_modality_scale,
        ),
        "use_multiscale": inp.use_multiscale,
        "distill_lora_scales": (inp.distill_lora_first_pass_scale, inp.distill_lora_second_pass_scale),
        "use_restart_sampling": inp.use_restart_sampling,
        "gradient_estimation_gamma": inp.gradient_estimation_gamma,
        "acceleration": inp.acceleration,
    }


# The distilled model's schedule is fixed at 8 steps; `scheduler` "ltx2" (the default) means the table it
# was trained with, the other two their own 8-step schedules (docs/endpoints.md).
DISTILLED_STEPS = 8


def distilled_sampling(inp: Inputs) -> dict[str, Any]:
    """22b/distilled: the distilled model (checkpoint, or the distilled LoRA at full strength), no guidance."""
    return {
        "num_inference_steps": DISTILLED_STEPS,
        "scheduler": "distilled" if inp.scheduler == "ltx2" else inp.scheduler,
        "use_multiscale": inp.use_multiscale,
        "distilled": True,
        "acceleration": inp.acceleration,
    }


# The quality workflow: the distilled LoRA at full strength in both stages, plain CFG (1 = off), no STG,
# no modality guidance, no rescale, the token-shifted ltx2 schedule for any step count, always two-stage.
def quality_sampling(inp: Inputs) -> dict[str, Any]:
    guidance = Guidance(cfg=inp.guidance_scale)
    return {
        "num_inference_steps": inp.num_inference_steps,
        "scheduler": "ltx2",
        "video_guidance": guidance,
        "audio_guidance": guidance,
        "use_multiscale": True,
        "distill_lora_scales": (1.0, 1.0),
    }


DEV = Tier("fps", "video_size", "fit", dev_sampling)
DISTILLED = Tier("fps", "video_size", "fit", distilled_sampling)
QUALITY = Tier("frames_per_second", "resolution", "aspect", quality_sampling)

Kind = Callable[[Tier, Inputs, ResolvedMedia], Plan]
Size = tuple[int, int]  # (width, height) of the output


def _request(tier: Tier, inp: Inputs, media: ResolvedMedia, **fields: Any) -> EngineRequest:
    """The fields every kind maps the same way, the tier's sampling, then the kind's own (which win)."""
    common = {
        "prompt": inp.prompt,
        "negative_prompt": inp.negative_prompt,
        "fps": getattr(inp, tier.fps_field),
        "seed": inp.seed,
        "enable_prompt_expansion": inp.enable_prompt_expansion,
        "loras": lora_specs(inp, media),
    }
    return EngineRequest(**{**common, **tier.sampling(inp), **fields})


def _size(tier: Tier, inp: Inputs, media: ResolvedMedia, image_field: str | None) -> Size:
    """Output (width, height): a preset, a custom size or `auto` from the conditioning image."""
    size = getattr(inp, tier.size_field)
    value = size if isinstance(size, str) else (size.width, size.height)
    image = image_shape(media, image_field) if image_field else None
    two_stage = bool(tier.sampling(inp)["use_multiscale"])
    return resolve_size(value, two_stage=two_stage, image_size=image, auto_policy=tier.auto_policy)


def text_to_video(tier: Tier, inp: Inputs, media: ResolvedMedia) -> Plan:
    """Video (with generated audio unless turned off) from the prompt alone."""
    return Plan(video_request(tier, inp, media, _size(tier, inp, media, None)))


def video_request(tier: Tier, inp: Inputs, media: ResolvedMedia, size: Size, **fields: Any) -> EngineRequest:
    """A text-to-video request at `size`; the kinds add their conditioning (`fields`, which win)."""
    width, height = size
    video = {
        "mode": "text_to_video",
        "width": width,
        "height": height,
        "num_frames": round_frames(inp.num_frames),
        "generate_audio": inp.generate_audio,
    }
    return _request(tier, inp, media, **{**video, **fields})


def image_to_video(tier: Tier, inp: Inputs, media: ResolvedMedia) -> Plan:
    """Text-to-video with a start image (and optional end image); `backward` swaps the ends they hold."""
    size = _size(tier, inp, media, "image_url")
    start = image_input(media, "image_url", inp.image_url, inp.image_strength, size)
    end = end_image(inp, media, size)
    if getattr(inp, "interpolation_direction", "forward") == "backward":
        start, end = end, start
    return Plan(video_request(tier, inp, media, size, image=start, end_image=end))


def end_image(inp: Inputs, media: ResolvedMedia, size: Size) -> ImageInput | None:
    """The optional last-frame image of the endpoints that have one."""
    url = getattr(inp, "end_image_url", None)
    return image_input(media, "end_image_url", url, getattr(inp, "end_image_strength", 1.0), size)


def audio_to_video(tier: Tier, inp: Inputs, media: ResolvedMedia) -> Plan:
    """Video driven by the input audio (kept as given at strength 1), optional first and end images."""
    size = _size(tier, inp, media, "image_url")
    prepare = getattr(inp, "preprocess_audio", False)
    audio = audio_input(media, "audio_url", getattr(inp, "audio_strength", 1.0), prepare)
    image = image_input(media, "image_url", inp.image_url, inp.image_strength, size)
    fps = getattr(inp, tier.fps_field)
    if inp.match_audio_length:
        num_frames = frames_for_audio(audio_duration(audio), fps)
    else:
        num_frames = round_frames(inp.num_frames)
    width, height = size
    request = _request(
        tier,
        inp,
        media,
        mode="audio_to_video",
        width=width,
        height=height,
        num_frames=num_frames,
        generate_audio=getattr(inp, "generate_audio", True),
        audio=audio,
        image=image,
        end_image=end_image(inp, media, size),
    )
    return Plan(request)


def text_to_audio(tier: Tier, inp: Inputs, media: ResolvedMedia) -> Plan:
    """Audio only, one pass; its length is num_frames / frames_per_second seconds (not rounded to 8k+1)."""
    request = _request(
        tier,
        inp,
        media,
        mode="text_to_audio",
        num_frames=inp.num_frames,
        generate_audio=True,
        video_guidance=Guidance(),  # audio only: the video stream is a placeholder
        use_multiscale=False,
    )
    return Plan(request)
