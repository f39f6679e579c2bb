"""The `fal-ai/ltx-2.3-quality/*` family: the distilled LTX-2.3 workflow (see docs/endpoints.md)."""

from __future__ import annotations

from pydantic import Field

from ltxserve.endpoints.common import (
    MAX_LORAS,
    AudioOutput,
    ImageSize,
    InputModel,
    LoRAInput,
    SizePresetOrAuto,
    VideoOutput,
    VideoQuality,
    VideoWriteMode,
)
from ltxserve.endpoints.conditioning import audio_duration, audio_input, image_input, image_shape, lora_specs
from ltxserve.endpoints.registry import Endpoint, ResolvedMedia, typed_plan
from ltxserve.endpoints.sizes import MAX_FRAMES, MIN_FRAMES, frames_for_audio, resolve_size, round_frames
from ltxserve.engine.request import EngineRequest, Guidance, SchedulerName

# The workflow: the distilled LoRA at full strength on both passes, plain CFG (1 = off), no STG,
# no modality guidance, no rescale, the token-shifted ltx2 schedule for any step count.
DISTILLED_LORA_SCALES = (1.0, 1.0)
SCHEDULER: SchedulerName = "ltx2"
TWO_STAGE = True

T2A_NEGATIVE = "pc game, console game, video game, cartoon, childish, ugly"
A2V_NEGATIVE = (
    "color distortion, overexposure, static, blurry details, subtitles, style, artwork, painting, frame, "
    "still, dim overall tone, worst quality, low quality, JPEG compression artifacts, ugly, mutilated, "
    "extra fingers, poorly drawn hands, poorly drawn face, deformed, disfigured, malformed limbs, fused "
    "fingers, motionless frame, cluttered background, three legs, crowded background, walking backwards"
)
LORAS_DESCRIPTION = (
    "Up to 3 LoRAs to apply on top of LTX-2.3. Each path is downloaded through the registry SSRF-safe "
    "downloader before it is loaded. Max size: 3 GB per LoRA."
)


class QualityTextToAudioInput(InputModel):
    """Input of `fal-ai/ltx-2.3-quality/text-to-audio`."""

    prompt: str = Field(
        description="The prompt to generate the audio from.",
        examples=["A woman says: 'Oh, what a lovely day we are having!' Natural speech, clean studio audio."],
    )
    num_frames: int = Field(
        default=121,
        ge=MIN_FRAMES,
        le=MAX_FRAMES,
        description="The audio duration expressed in LTX video-frame units. Duration is approximately "
        "num_frames / frames_per_second seconds.",
    )
    frames_per_second: float = Field(
        default=24, ge=1, le=60, description="Frame rate used to derive the generated audio duration."
    )
    num_inference_steps: int = Field(default=15, ge=8, le=30, description="Number of inference steps.")
    guidance_scale: float = Field(default=1, ge=1, le=20, description="Classifier-free guidance scale.")
    negative_prompt: str = Field(
        default=T2A_NEGATIVE, description="The negative prompt to steer generation away from."
    )
    seed: int | None = Field(
        default=None, description="Random seed for reproducibility. If None, a random seed is chosen."
    )
    enable_prompt_expansion: bool = Field(default=False, description="Whether to enable prompt expansion.")
    enable_safety_checker: bool = Field(default=True, description="Whether to enable the safety checker.")
    sync_mode: bool = Field(
        default=False,
        description="If True, the audio is returned as a data URI inline in the response. Useful for "
        "short-lived requests and tests.",
    )


class QualityTextToAudioLoraInput(QualityTextToAudioInput):
    """Input of `fal-ai/ltx-2.3-quality/text-to-audio/lora`."""

    loras: list[LoRAInput] = Field(max_length=MAX_LORAS, description=LORAS_DESCRIPTION)


class QualityAudioToVideoLoraInput(InputModel):
    """Input of `fal-ai/ltx-2.3-quality/audio-to-video/lora`."""

    prompt: str = Field(
        description="The prompt to guide the audio-driven video generation.",
        examples=[
            "A person facing the camera sings with expressive natural motion, cinematic portrait lighting, "
            "realistic facial performance."
        ],
    )
    audio_url: str = Field(
        description="The URL of the audio track that drives generation.",
        examples=["https://storage.googleapis.com/falserverless/example_inputs/ltx-2-a2v-input-audio.mp3"],
    )
    image_url: str | None = Field(
        default=None,
        description="Optional URL of an image to use as the first frame. When omitted, the workflow runs "
        "from text and audio only.",
        examples=["https://storage.googleapis.com/falserverless/example_inputs/ltx-2-a2v-input-image.png"],
    )
    match_audio_length: bool = Field(
        default=True,
        description="When enabled, derives the number of frames from the audio duration and "
        "frames_per_second. When disabled, uses num_frames.",
    )
    num_frames: int = Field(
        default=121, ge=MIN_FRAMES, le=MAX_FRAMES, description="The number of frames to generate."
    )
    resolution: ImageSize | SizePresetOrAuto = Field(
        default="auto",
        description="Final output size. 'auto' matches the input image aspect ratio when image_url is "
        "provided; otherwise it uses the workflow's landscape fallback.",
    )
    frames_per_second: float = Field(
        default=24, ge=1, le=60, description="Frames per second of the generated video."
    )
    num_inference_steps: int = Field(
        default=15,
        ge=8,
        le=30,
        description="Number of inference steps. Defaults to 15 for this distilled ComfyUI workflow and can "
        "be increased up to 30.",
    )
    guidance_scale: float = Field(
        default=1,
        ge=1,
        le=20,
        description="Classifier-free guidance scale. The default follows the distilled LTX-2.3 workflow.",
    )
    generate_audio: bool = Field(
        default=True,
        description="Whether to include audio in the returned video. When disabled, the final MP4 is "
        "returned without an audio track.",
    )
    image_strength: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description="Conditioning strength for the optional first frame. 1.0 keeps the image more "
        "strictly; lower values give the model more freedom.",
    )
    negative_prompt: str = Field(
        default=A2V_NEGATIVE, description="The negative prompt to steer generation away from."
    )
    seed: int | None = Field(
        default=None, description="Random seed for reproducibility. If None, a random seed is chosen."
    )
    enable_prompt_expansion: bool = Field(default=True, description="Whether to enable prompt expansion.")
    enable_safety_checker: bool = Field(default=True, description="Whether to enable the safety checker.")
    video_quality: VideoQuality = Field(
        default="high", description="The quality preset of the generated video."
    )
    video_write_mode: VideoWriteMode = Field(
        default="balanced", description="The write mode of the generated video."
    )
    sync_mode: bool = Field(
        default=False,
        description="If True, the media is returned as a data URI inline in the response. Useful for "
        "short-lived requests and tests.",
    )
    loras: list[LoRAInput] = Field(
        max_length=MAX_LORAS,
        description="Up to 3 LoRAs to apply on top of LTX-2.3. Each path is downloaded through the registry "
        "SSRF-safe downloader before ComfyUI loads it from local disk. Max size: 3 GB per LoRA.",
    )


def _guidance(guidance_scale: float) -> Guidance:
    """The workflow's guidance: plain CFG at `guidance_scale`, every other term neutral."""
    return Guidance(cfg=guidance_scale)


def plan_text_to_audio(inp: QualityTextToAudioInput, media: ResolvedMedia) -> EngineRequest:
    """Audio only, one pass; its length is num_frames / frames_per_second seconds (not rounded to 8k+1)."""
    loras = lora_specs(inp.loras, media) if isinstance(inp, QualityTextToAudioLoraInput) else ()
    return EngineRequest(
        mode="text_to_audio",
        prompt=inp.prompt,
        negative_prompt=inp.negative_prompt,
        num_frames=inp.num_frames,
        fps=inp.frames_per_second,
        num_inference_steps=inp.num_inference_steps,
        scheduler=SCHEDULER,
        audio_guidance=_guidance(inp.guidance_scale),
        seed=inp.seed,
        generate_audio=True,
        use_multiscale=False,
        distill_lora_scales=DISTILLED_LORA_SCALES,
        loras=loras,
        enable_prompt_expansion=inp.enable_prompt_expansion,
    )


def plan_audio_to_video(inp: QualityAudioToVideoLoraInput, media: ResolvedMedia) -> EngineRequest:
    """Video driven by the (frozen) input audio, optional first frame, two-stage distilled."""
    # 1. Sizes: auto takes the first image's aspect ratio at the landscape fallback's pixel count.
    size = (
        inp.resolution if isinstance(inp.resolution, str) else (inp.resolution.width, inp.resolution.height)
    )
    width, height = resolve_size(
        size, two_stage=TWO_STAGE, image_size=image_shape(media, "image_url"), auto_policy="aspect"
    )
    # 2. Conditioning: the audio is kept as given (strength 1), the image at image_strength.
    audio = audio_input(media, "audio_url", strength=1.0)
    image = image_input(media, "image_url", inp.image_url, inp.image_strength)
    if inp.match_audio_length:
        num_frames = frames_for_audio(audio_duration(audio), inp.frames_per_second)
    else:
        num_frames = round_frames(inp.num_frames)
    guidance = _guidance(inp.guidance_scale)
    return EngineRequest(
        mode="audio_to_video",
        prompt=inp.prompt,
        negative_prompt=inp.negative_prompt,
        width=width,
        height=height,
        num_frames=num_frames,
        fps=inp.frames_per_second,
        num_inference_steps=inp.num_inference_steps,
        scheduler=SCHEDULER,
        video_guidance=guidance,
        audio_guidance=guidance,
        seed=inp.seed,
        generate_audio=inp.generate_audio,
        audio=audio,
        image=image,
        use_multiscale=TWO_STAGE,
        distill_lora_scales=DISTILLED_LORA_SCALES,
        loras=lora_specs(inp.loras, media),
        enable_prompt_expansion=inp.enable_prompt_expansion,
    )


QUALITY_ENDPOINTS = (
    Endpoint(
        endpoint_id="fal-ai/ltx-2.3-quality/text-to-audio",
        title="LTX-2.3 Quality: text to audio",
        input_model=QualityTextToAudioInput,
        output_model=AudioOutput,
        output_field="audio",
        file_fields=(),
        plan=typed_plan(QualityTextToAudioInput, plan_text_to_audio),
    ),
    Endpoint(
        endpoint_id="fal-ai/ltx-2.3-quality/text-to-audio/lora",
        title="LTX-2.3 Quality: text to audio with LoRAs",
        input_model=QualityTextToAudioLoraInput,
        output_model=AudioOutput,
        output_field="audio",
        file_fields=("loras",),
        plan=typed_plan(QualityTextToAudioLoraInput, plan_text_to_audio),
    ),
    Endpoint(
        endpoint_id="fal-ai/ltx-2.3-quality/audio-to-video/lora",
        title="LTX-2.3 Quality: audio to video with LoRAs",
        input_model=QualityAudioToVideoLoraInput,
        output_model=VideoOutput,
        output_field="video",
        file_fields=("audio_url", "image_url", "loras"),
        plan=typed_plan(QualityAudioToVideoLoraInput, plan_audio_to_video),
    ),
)
