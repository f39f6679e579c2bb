"""The `fal-ai/ltx-2.3-22b/*` field groups, each described once (texts and ranges as fal publishes them).

The groups follow fal's current client types; `SEED_22B` restates what the two seed endpoints' own
documents say differently (their defaults rule for them, see docs/endpoints.md).
"""

from __future__ import annotations

from typing import Literal

from ltxserve.endpoints.common import (
    MAX_LORAS,
    Acceleration,
    CameraLoRA,
    ImageSize,
    LoRAInput,
    Scheduler,
    SizePreset,
    SizePresetOrAuto,
    VideoOutputType,
    VideoQuality,
    VideoWriteMode,
)
from ltxserve.endpoints.schema import REQUIRED, Group, In
from ltxserve.endpoints.sizes import MAX_FRAMES, MIN_FRAMES

NEGATIVE_22B = (
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
_MULTISCALE = (
    "Whether to use multi-scale generation. If True, the model will generate the video at a smaller scale "
    "first, then use the smaller video to guide the generation of a video at or above your requested size. "
    "This results in better coherence and details."
)
_RESTART = (
    "Whether to use restart sampling. This will inject a small amount of noise during each denoising step, "
    "which can help improve the quality of the generated video."
)
_SIZE = "The size of the generated video."
Direction = Literal["forward", "backward"]

# -- what every 22b endpoint has ------------------------------------------------------------------
VIDEO: Group = {
    "prompt": In(str, description="The prompt to generate the video from."),
    "num_frames": In(int, 121, "The number of frames to generate.", {"ge": MIN_FRAMES, "le": MAX_FRAMES}),
    "use_multiscale": In(bool, True, _MULTISCALE),
    "fps": In(float, 24, "The frames per second of the generated video.", {"ge": 1, "le": 60}),
}
STEPS: Group = {
    "num_inference_steps": In(int, 40, "The number of inference steps to use.", {"ge": 8, "le": 50})
}
GUIDANCE: Group = {
    "video_cfg_scale": In(float, 3, _CFG.format(m="video"), {"ge": 1, "le": 20}),
    "video_stg_scale": In(float, 0, _STG.format(m="video"), {"ge": 0, "le": 20}),
    "video_rescaling_scale": In(float, 0.7, _RESCALE.format(m="video"), {"ge": 0, "le": 1}),
    "video_modality_scale": In(float, 3, _MODALITY.format(m="video"), {"ge": 0, "le": 10}),
    "audio_cfg_scale": In(float, 7, _CFG.format(m="audio"), {"ge": 1, "le": 20}),
    "audio_stg_scale": In(float, 0, _STG.format(m="audio"), {"ge": 0, "le": 20}),
    "audio_rescaling_scale": In(float, 0.7, _RESCALE.format(m="audio"), {"ge": 0, "le": 1}),
    "audio_modality_scale": In(float, 3, _MODALITY.format(m="audio"), {"ge": 0, "le": 10}),
    "gradient_estimation_gamma": In(
        float,
        2,
        "The gamma of gradient estimation during denoising. Set to 0 to disable.",
        {"ge": 0, "le": 10},
    ),
    "use_restart_sampling": In(bool, False, _RESTART),
}
SCHEDULE: Group = {
    "scheduler": In(Scheduler, "ltx2", "The scheduler to use."),
    "acceleration": In(Acceleration, "regular", "The acceleration level to use."),
}
CAMERA: Group = {
    "camera_lora": In(CameraLoRA, "none", f"The camera LoRA to use. {_CAMERA}"),
    "camera_lora_scale": In(float, 1, f"The scale of the camera LoRA to use. {_CAMERA}", {"ge": 0, "le": 1}),
}
PROMPTING: Group = {
    "negative_prompt": In(str, NEGATIVE_22B, "The negative prompt to generate the video from."),
    "seed": In(int | None, None, "The seed for the random number generator."),
    "enable_prompt_expansion": In(bool, True, "Whether to enable prompt expansion."),
    "enable_safety_checker": In(bool, True, "Whether to enable the safety checker."),
}
OUTPUT: Group = {
    "video_output_type": In(VideoOutputType, "X264 (.mp4)", "The output type of the generated video."),
    "video_quality": In(VideoQuality, "high", "The quality of the generated video."),
    "video_write_mode": In(VideoWriteMode, "balanced", "The write mode of the generated video."),
    "sync_mode": In(
        bool,
        False,
        "If `True`, the media will be returned as a data URI and the output data won't be available in the "
        "request history.",
    ),
}
DISTILL_LORA: Group = {
    "distill_lora_first_pass_scale": In(
        float,
        0.2,
        "The scale of the distill LoRA to use for the first pass. Set to 0 to disable.",
        {"ge": 0, "le": 1},
    ),
    "distill_lora_second_pass_scale": In(
        float,
        0.5,
        "The scale of the distill LoRA to use for the second and subsequent passes.",
        {"ge": 0, "le": 1},
    ),
}
DEV: Group = VIDEO | STEPS | GUIDANCE | SCHEDULE | CAMERA | PROMPTING | OUTPUT | DISTILL_LORA
# The distilled model: fixed steps, no guidance terms, no first-pass distill scale.
DISTILLED: Group = (
    VIDEO
    | SCHEDULE
    | {"acceleration": SCHEDULE["acceleration"].but(default="none")}
    | CAMERA
    | PROMPTING
    | OUTPUT
    | {"distill_lora_second_pass_scale": DISTILL_LORA["distill_lora_second_pass_scale"]}
)

# -- what the conditioning adds ---------------------------------------------------------------------
TEXT_TO_VIDEO: Group = {
    "video_size": In(ImageSize | SizePreset, "landscape_16_9", _SIZE),
    "generate_audio": In(bool, True, "Whether to generate audio for the video."),
}
_IMAGE_URL = In(str, REQUIRED, "The URL of the image to generate the video from.")
END_IMAGE: Group = {
    "end_image_url": In(str | None, None, "The URL of the image to use as the end of the video."),
    "end_image_strength": In(
        float, 1, "The strength of the end image to use for the video generation.", {"ge": 0, "le": 1}
    ),
}
IMAGE_TO_VIDEO: Group = {
    "prompt": VIDEO["prompt"].but(description="The prompt used for the generation."),
    "image_url": _IMAGE_URL,
    "image_strength": In(
        float, 1, "The strength of the image to use for the video generation.", {"ge": 0, "le": 1}
    ),
    **END_IMAGE,
    "interpolation_direction": In(
        Direction,
        "forward",
        "The direction to interpolate the image sequence in. 'Forward' goes from the start image to the end "
        "image, 'Backward' goes from the end image to the start image.",
    ),
    "video_size": In(ImageSize | SizePresetOrAuto, "auto", _SIZE),
    "generate_audio": TEXT_TO_VIDEO["generate_audio"],
}
AUDIO_TO_VIDEO: Group = {
    "audio_url": In(
        str,
        REQUIRED,
        "The URL of the audio to generate the video from.",
        {
            "examples": [
                "https://storage.googleapis.com/falserverless/example_inputs/ltx-2-a2v-input-audio.mp3"
            ]
        },
    ),
    "image_url": In(
        str | None,
        None,
        "Optional URL of an image to use as the first frame of the video.",
        {
            "examples": [
                "https://storage.googleapis.com/falserverless/example_inputs/ltx-2-a2v-input-image.png"
            ]
        },
    ),
    "end_image_url": END_IMAGE["end_image_url"],
    "match_audio_length": In(
        bool,
        True,
        "When enabled, the number of frames will be calculated based on the audio duration and FPS. When "
        "disabled, use the specified num_frames.",
    ),
    "video_size": In(
        ImageSize | SizePresetOrAuto,
        "landscape_16_9",
        "The size of the generated video. Use 'auto' to match the input image dimensions if provided.",
    ),
    "image_strength": IMAGE_TO_VIDEO["image_strength"],
    "end_image_strength": END_IMAGE["end_image_strength"],
    "audio_strength": In(
        float,
        1,
        "Audio conditioning strength. Values below 1.0 will allow the model to change the audio, while a "
        "value of exactly 1.0 will use the input audio without modification.",
        {"ge": 0, "le": 1},
    ),
    "preprocess_audio": In(bool, True, "Whether to preprocess the audio before using it as conditioning."),
}
EXTEND_VIDEO: Group = {
    "video_url": In(str, REQUIRED, "The URL of the video to extend."),
    "num_context_frames": In(
        int, 25, "The number of frames to use as context for the extension.", {"ge": 0, "le": 121}
    ),
    "extend_direction": In(
        Direction,
        "forward",
        "Direction to extend the video. 'forward' extends from the end of the video, 'backward' extends from "
        "the beginning.",
    ),
    "match_input_fps": In(
        bool,
        True,
        "When true, match the output FPS to the input video's FPS instead of using the default target FPS.",
    ),
    "video_strength": In(
        float,
        1,
        "Video conditioning strength. Lower values represent more freedom given to the model to change the "
        "video content.",
        {"ge": 0, "le": 1},
    ),
    "audio_strength": AUDIO_TO_VIDEO["audio_strength"].but(
        description="Audio conditioning strength. Lower values represent more freedom given to the model to "
        "change the audio content."
    ),
    "end_image_url": END_IMAGE["end_image_url"].but(
        description="The URL of the image to use as the end of the extended video."
    ),
    "end_image_strength": END_IMAGE["end_image_strength"],
    "video_size": IMAGE_TO_VIDEO["video_size"],
    "generate_audio": TEXT_TO_VIDEO["generate_audio"],
}
LORAS: Group = {
    "loras": In(list[LoRAInput], REQUIRED, "The LoRAs to use for the generation.", {"max_length": MAX_LORAS})
}

# -- the two seed endpoints' own documents (they rule for those two; docs/endpoints.md) -----------
SEED_22B: Group = {
    "num_inference_steps": STEPS["num_inference_steps"].but(default=15),
    "video_stg_scale": GUIDANCE["video_stg_scale"].but(default=1),
    "video_rescaling_scale": GUIDANCE["video_rescaling_scale"].but(default=0.85),
    # The seeds give no default; fal omits falsy defaults, and the sibling text-to-video publishes 0.
    "gradient_estimation_gamma": GUIDANCE["gradient_estimation_gamma"].but(default=0),
    "use_restart_sampling": GUIDANCE["use_restart_sampling"].but(default=True),
    "scheduler": SCHEDULE["scheduler"].but(default="beta"),
    "acceleration": SCHEDULE["acceleration"].but(default="none"),
    "sync_mode": OUTPUT["sync_mode"].but(
        description="If True, the media will be returned as a data URI and the output data won't be "
        "available in the request history."
    ),
}
SEED_A2V: Group = {
    "prompt": VIDEO["prompt"].but(examples=["A woman speaks to the camera"]),
}
SEED_T2V: Group = {
    "prompt": VIDEO["prompt"].but(
        examples=[
            "A cowboy walking through a dusty town at high noon, camera following from behind, cinematic depth, "
            "realistic lighting, western mood, 4K film grain."
        ]
    ),
}
