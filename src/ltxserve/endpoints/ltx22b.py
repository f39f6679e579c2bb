"""The `fal-ai/ltx-2.3-22b/*` family: the dev model with every guidance and sampling control exposed."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ltxserve.endpoints.common import (
    MAX_LORAS,
    Acceleration,
    CameraLoRA,
    ImageSize,
    InputModel,
    LoRAInput,
    Scheduler,
    SizePreset,
    SizePresetOrAuto,
    VideoOutput,
    VideoOutputType,
    VideoQuality,
    VideoWriteMode,
)
from ltxserve.endpoints.conditioning import audio_duration, audio_input, image_input, image_shape, lora_specs
from ltxserve.endpoints.registry import Endpoint, ResolvedMedia, typed_plan
from ltxserve.endpoints.sizes import MAX_FRAMES, MIN_FRAMES, frames_for_audio, resolve_size, round_frames
from ltxserve.engine.request import EngineRequest, Guidance

NEGATIVE = (
    "news broadcast, 3d animation, computer graphics, pc game, console game, video game, cartoon, childish, "
    "watermark, logo, text, on screen text, subtitles, titles, signature, slowmo, static"
)
_CFG = "The Classifier-Free Guidance (CFG) scale for the {m}. Higher values result in more consistent and focused {m} content."
_STG = "The Spatiotemporal Guidance (STG) scale for the {m}. Higher values result in more consistent and focused {m} content."
_RESCALE = "The rescaling scale for the {m}. Controls the ratio between classifier-free guidance and spatiotemporal guidance."
_MODALITY = "The modality scale for the {m}. Controls the ratio between video and audio modalities."
_CAMERA = (
    "This allows you to control the camera movement of the generated video more accurately than just "
    "prompting the model to move the camera."
)


class Ltx22bInput(InputModel):
    """Fields shared by the 22b endpoints (ranges from fal's published fal-ai/ltx-2.3-22b schema)."""

    prompt: str = Field(description="The prompt to generate the video from.")
    num_frames: int = Field(
        default=121, ge=MIN_FRAMES, le=MAX_FRAMES, description="The number of frames to generate."
    )
    use_multiscale: bool = Field(
        default=True,
        description="Whether to use multi-scale generation. If True, the model will generate the video at a "
        "smaller scale first, then use the smaller video to guide the generation of a video at or above your "
        "requested size. This results in better coherence and details.",
    )
    fps: float = Field(default=24, ge=1, le=60, description="The frames per second of the generated video.")
    num_inference_steps: int = Field(
        default=15, ge=8, le=50, description="The number of inference steps to use."
    )
    video_cfg_scale: float = Field(default=3, ge=1, le=20, description=_CFG.format(m="video"))
    video_stg_scale: float = Field(default=1, ge=0, le=20, description=_STG.format(m="video"))
    video_rescaling_scale: float = Field(default=0.85, ge=0, le=1, description=_RESCALE.format(m="video"))
    video_modality_scale: float = Field(default=3, ge=0, le=10, description=_MODALITY.format(m="video"))
    audio_cfg_scale: float = Field(default=7, ge=1, le=20, description=_CFG.format(m="audio"))
    # The seeds give no default; fal omits falsy defaults from its docs and its sibling endpoint
    # fal-ai/ltx-2.3-22b/text-to-video publishes 0 (see docs/endpoints.md).
    audio_stg_scale: float = Field(default=0, ge=0, le=20, description=_STG.format(m="audio"))
    audio_rescaling_scale: float = Field(default=0.7, ge=0, le=1, description=_RESCALE.format(m="audio"))
    audio_modality_scale: float = Field(default=3, ge=0, le=10, description=_MODALITY.format(m="audio"))
    gradient_estimation_gamma: float = Field(
        default=0,
        ge=0,
        le=10,
        description="The gamma of gradient estimation during denoising. Set to 0 to disable.",
    )
    use_restart_sampling: bool = Field(
        default=True,
        description="Whether to use restart sampling. This will inject a small amount of noise during each "
        "denoising step, which can help improve the quality of the generated video.",
    )
    scheduler: Scheduler = Field(default="beta", description="The scheduler to use.")
    acceleration: Acceleration = Field(default="none", description="The acceleration level to use.")
    camera_lora: CameraLoRA = Field(default="none", description=f"The camera LoRA to use. {_CAMERA}")
    camera_lora_scale: float = Field(
        default=1, ge=0, le=1, description=f"The scale of the camera LoRA to use. {_CAMERA}"
    )
    negative_prompt: str = Field(
        default=NEGATIVE, description="The negative prompt to generate the video from."
    )
    seed: int | None = Field(default=None, description="The seed for the random number generator.")
    enable_prompt_expansion: bool = Field(default=True, description="Whether to enable prompt expansion.")
    enable_safety_checker: bool = Field(default=True, description="Whether to enable the safety checker.")
    video_output_type: VideoOutputType = Field(
        default="X264 (.mp4)", description="The output type of the generated video."
    )
    video_quality: VideoQuality = Field(default="high", description="The quality of the generated video.")
    video_write_mode: VideoWriteMode = Field(
        default="balanced", description="The write mode of the generated video."
    )
    sync_mode: bool = Field(
        default=False,
        description="If True, the media will be returned as a data URI and the output data won't be "
        "available in the request history.",
    )
    distill_lora_first_pass_scale: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="The scale of the distill LoRA to use for the first pass. Set to 0 to disable.",
    )
    distill_lora_second_pass_scale: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="The scale of the distill LoRA to use for the second and subsequent passes.",
    )


class Ltx22bAudioToVideoInput(Ltx22bInput):
    """Input of `fal-ai/ltx-2.3-22b/audio-to-video`."""

    prompt: str = Field(
        description="The prompt to generate the video from.", examples=["A woman speaks to the camera"]
    )
    audio_url: str = Field(
        description="The URL of the audio to generate the video from.",
        examples=["https://storage.googleapis.com/falserverless/example_inputs/ltx-2-a2v-input-audio.mp3"],
    )
    image_url: str | None = Field(
        default=None,
        description="Optional URL of an image to use as the first frame of the video.",
        examples=["https://storage.googleapis.com/falserverless/example_inputs/ltx-2-a2v-input-image.png"],
    )
    end_image_url: str | None = Field(
        default=None, description="The URL of the image to use as the end of the video."
    )
    match_audio_length: bool = Field(
        default=True,
        description="When enabled, the number of frames will be calculated based on the audio duration and "
        "FPS. When disabled, use the specified num_frames.",
    )
    video_size: ImageSize | SizePresetOrAuto = Field(
        default="landscape_16_9",
        description="The size of the generated video. Use 'auto' to match the input image dimensions if provided.",
    )
    image_strength: float = Field(
        default=1, ge=0, le=1, description="The strength of the image to use for the video generation."
    )
    end_image_strength: float = Field(
        default=1, ge=0, le=1, description="The strength of the end image to use for the video generation."
    )
    audio_strength: float = Field(
        default=1,
        ge=0,
        le=1,
        description="Audio conditioning strength. Values below 1.0 will allow the model to change the audio, "
        "while a value of exactly 1.0 will use the input audio without modification.",
    )
    preprocess_audio: bool = Field(
        default=True, description="Whether to preprocess the audio before using it as conditioning."
    )


class Ltx22bTextToVideoLoraInput(Ltx22bInput):
    """Input of `fal-ai/ltx-2.3-22b/text-to-video/lora`."""

    prompt: str = Field(
        description="The prompt to generate the video from.",
        examples=[
            "A cowboy walking through a dusty town at high noon, camera following from behind, cinematic depth, "
            "realistic lighting, western mood, 4K film grain."
        ],
    )
    video_size: ImageSize | SizePreset = Field(
        default="landscape_16_9", description="The size of the generated video."
    )
    generate_audio: bool = Field(default=True, description="Whether to generate audio for the video.")
    loras: list[LoRAInput] = Field(max_length=MAX_LORAS, description="The LoRAs to use for the generation.")


def _common(inp: Ltx22bInput) -> dict[str, Any]:
    """The EngineRequest fields every 22b endpoint maps the same way."""
    return {
        "prompt": inp.prompt,
        "negative_prompt": inp.negative_prompt,
        "fps": inp.fps,
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
        "seed": inp.seed,
        "use_multiscale": inp.use_multiscale,
        "distill_lora_scales": (inp.distill_lora_first_pass_scale, inp.distill_lora_second_pass_scale),
        "use_restart_sampling": inp.use_restart_sampling,
        "gradient_estimation_gamma": inp.gradient_estimation_gamma,
        "acceleration": inp.acceleration,
        "enable_prompt_expansion": inp.enable_prompt_expansion,
        "camera_lora": inp.camera_lora,
        "camera_lora_scale": inp.camera_lora_scale,
    }


def _size(video_size: ImageSize | str) -> str | tuple[int, int]:
    """A size field as `resolve_size` takes it."""
    return video_size if isinstance(video_size, str) else (video_size.width, video_size.height)


def plan_audio_to_video(inp: Ltx22bAudioToVideoInput, media: ResolvedMedia) -> EngineRequest:
    """Video from the input audio, optional first and last frames."""
    # 1. Sizes: auto keeps the first image's own size, shrunk to the landscape preset's pixel count.
    width, height = resolve_size(
        _size(inp.video_size), two_stage=inp.use_multiscale, image_size=image_shape(media, "image_url")
    )
    # 2. Conditioning: audio at audio_strength (1 keeps it unchanged), images fitted to the output size.
    audio = audio_input(media, "audio_url", inp.audio_strength)
    image = image_input(media, "image_url", inp.image_url, inp.image_strength)
    end_image = image_input(media, "end_image_url", inp.end_image_url, inp.end_image_strength)
    # 3. Length: from the audio, or num_frames, on the 8k+1 grid.
    if inp.match_audio_length:
        num_frames = frames_for_audio(audio_duration(audio), inp.fps)
    else:
        num_frames = round_frames(inp.num_frames)
    return EngineRequest(
        mode="audio_to_video",
        width=width,
        height=height,
        num_frames=num_frames,
        generate_audio=True,
        audio=audio,
        image=image,
        end_image=end_image,
        preprocess_audio=inp.preprocess_audio,
        **_common(inp),
    )


def plan_text_to_video(inp: Ltx22bTextToVideoLoraInput, media: ResolvedMedia) -> EngineRequest:
    """Video with generated audio from text, with user LoRAs."""
    width, height = resolve_size(_size(inp.video_size), two_stage=inp.use_multiscale)
    return EngineRequest(
        mode="text_to_video",
        width=width,
        height=height,
        num_frames=round_frames(inp.num_frames),
        generate_audio=inp.generate_audio,
        loras=lora_specs(inp.loras, media),
        **_common(inp),
    )


LTX22B_ENDPOINTS = (
    Endpoint(
        endpoint_id="fal-ai/ltx-2.3-22b/audio-to-video",
        title="LTX-2.3 22B: audio to video",
        input_model=Ltx22bAudioToVideoInput,
        output_model=VideoOutput,
        output_field="video",
        file_fields=("audio_url", "image_url", "end_image_url"),
        plan=typed_plan(Ltx22bAudioToVideoInput, plan_audio_to_video),
    ),
    Endpoint(
        endpoint_id="fal-ai/ltx-2.3-22b/text-to-video/lora",
        title="LTX-2.3 22B: text to video with LoRAs",
        input_model=Ltx22bTextToVideoLoraInput,
        output_model=VideoOutput,
        output_field="video",
        file_fields=("loras",),
        plan=typed_plan(Ltx22bTextToVideoLoraInput, plan_text_to_video),
    ),
)
