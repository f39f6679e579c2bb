"""The `fal-ai/ltx-2.3-quality/*` field groups, each described once (texts and ranges as fal publishes them).

The groups follow fal's current client types; the `SEED_*` groups restate what the three seed endpoints'
own documents say differently (they rule for those three, see docs/endpoints.md).
"""

from __future__ import annotations

from ltxserve.endpoints.common import (
    MAX_LORAS,
    ImageSize,
    LoRAInput,
    SizePreset,
    SizePresetOrAuto,
    VideoQuality,
    VideoWriteMode,
)
from ltxserve.endpoints.fields_22b import EXTEND_VIDEO as EXTEND_22B
from ltxserve.endpoints.schema import REQUIRED, Group, In
from ltxserve.endpoints.sizes import MAX_FRAMES, MIN_FRAMES

NEGATIVE_QUALITY = (
    "color distortion, overexposure, static, blurry details, subtitles, style, artwork, painting, frame, "
    "still, dim overall tone, worst quality, low quality, JPEG compression artifacts, ugly, mutilated, "
    "extra fingers, poorly drawn hands, poorly drawn face, deformed, disfigured, malformed limbs, fused "
    "fingers, motionless frame, cluttered background, three legs, crowded background, walking backwards"
)
NEGATIVE_AUDIO = "pc game, console game, video game, cartoon, childish, ugly"
_LORAS = (
    "Up to 3 LoRAs to apply on top of LTX-2.3. Each path is downloaded through the registry SSRF-safe "
    "downloader before it is loaded. Max size: 3 GB per LoRA."
)
_SYNC = (
    "If True, the media is returned as a data URI inline in the response. Useful for short-lived requests "
    "and tests."
)
_STRENGTH = {"ge": 0, "le": 1}
_A2V_EXAMPLES = {
    "audio": ["https://storage.googleapis.com/falserverless/example_inputs/ltx-2-a2v-input-audio.mp3"],
    "image": ["https://storage.googleapis.com/falserverless/example_inputs/ltx-2-a2v-input-image.png"],
}

# -- what every quality video endpoint has -----------------------------------------------------------
PROMPT: Group = {"prompt": In(str, description="The prompt to generate the video from.")}
VIDEO: Group = {
    "num_frames": In(int, 121, "The number of frames to generate.", {"ge": MIN_FRAMES, "le": MAX_FRAMES}),
    "resolution": In(ImageSize | SizePreset, "landscape_16_9", "The size of the generated video."),
    "frames_per_second": In(float, 24, "Frames per second of the generated video.", {"ge": 1, "le": 60}),
    "num_inference_steps": In(
        int,
        15,
        "Number of inference steps. Defaults to 15 and can be increased up to 30.",
        {"ge": 8, "le": 30},
    ),
    "guidance_scale": In(
        float,
        1,
        "Classifier-free guidance scale. The default is tuned for fast, high-quality generation.",
        {"ge": 1, "le": 20},
    ),
    "generate_audio": In(
        bool,
        True,
        "Whether to include audio in the returned video. When disabled, the final MP4 is returned without an "
        "audio track.",
    ),
}
PROMPTING: Group = {
    "negative_prompt": In(str, NEGATIVE_QUALITY, "The negative prompt to steer generation away from."),
    "seed": In(int | None, None, "Random seed for reproducibility. If None, a random seed is chosen."),
    "enable_prompt_expansion": In(bool, True, "Whether to enable prompt expansion."),
    "enable_safety_checker": In(bool, True, "Whether to enable the safety checker."),
}
OUTPUT: Group = {
    "video_quality": In(VideoQuality, "high", "The quality preset of the generated video."),
    "video_write_mode": In(VideoWriteMode, "balanced", "The write mode of the generated video."),
    "sync_mode": In(bool, False, _SYNC),
}
LORAS: Group = {"loras": In(list[LoRAInput], REQUIRED, _LORAS, {"max_length": MAX_LORAS})}

# -- what the conditioning adds ---------------------------------------------------------------------
IMAGE_TO_VIDEO: Group = {
    "prompt": PROMPT["prompt"].but(description="The prompt to guide the video generation."),
    "image_url": In(str, REQUIRED, "The URL of the starting image."),
    "resolution": In(
        ImageSize | SizePresetOrAuto,
        "auto",
        "The size of the generated video. 'auto' derives the size from the input image aspect ratio.",
    ),
    "image_strength": In(
        float,
        0.7,
        "Conditioning strength on the start image. 1.0 = exact first-frame match, lower = more freedom for "
        "the model.",
        _STRENGTH,
    ),
}
# Audio-to-video's inputs come right after the prompt, its controls after the shared video fields.
AUDIO_INPUTS: Group = {
    "prompt": PROMPT["prompt"].but(description="The prompt to guide the audio-driven video generation."),
    "audio_url": In(
        str,
        REQUIRED,
        "The URL of the audio track that drives generation.",
        {"examples": _A2V_EXAMPLES["audio"]},
    ),
    "image_url": In(
        str | None,
        None,
        "Optional URL of an image to use as the first frame. When omitted, generation runs from text and "
        "audio only.",
        {"examples": _A2V_EXAMPLES["image"]},
    ),
    "match_audio_length": In(
        bool,
        True,
        "When enabled, derives the number of frames from the audio duration and frames_per_second. When "
        "disabled, uses num_frames.",
    ),
}
AUDIO_CONTROLS: Group = {
    "resolution": IMAGE_TO_VIDEO["resolution"].but(
        description="Final output size. 'auto' matches the input image aspect ratio when image_url is "
        "provided; otherwise it uses a landscape fallback."
    ),
    "image_strength": IMAGE_TO_VIDEO["image_strength"].but(
        description="Conditioning strength for the optional first frame. 1.0 keeps the image more strictly; "
        "lower values give the model more freedom."
    ),
}
EXTEND_VIDEO: Group = {
    "prompt": PROMPT["prompt"].but(description="The prompt describing how the video should continue."),
    "video_url": EXTEND_22B["video_url"],
    "num_context_frames": EXTEND_22B["num_context_frames"].but(
        ge=9,
        description="The number of source frames used as context/overlap for the extension. Snapped down to "
        "the LTX temporal grid (8k+1) and clamped to the frames available in the source video.",
    ),
    "extend_direction": EXTEND_22B["extend_direction"].but(
        description="Direction to extend the video. 'forward' continues from the end of the video, "
        "'backward' generates a new beginning."
    ),
    "match_input_fps": EXTEND_22B["match_input_fps"].but(
        description="When enabled, the output FPS matches the source video's FPS (rounded to an integer and "
        "clamped to the supported range) instead of frames_per_second."
    ),
    "video_strength": EXTEND_22B["video_strength"].but(
        description="Conditioning strength of the source context frames. 1.0 keeps the overlap locked to the "
        "source for a seamless transition; lower values give the model more freedom."
    ),
    "end_image_url": EXTEND_22B["end_image_url"].but(
        description="Optional keyframe image for the far end of the extension: the final frame for forward "
        "extension, or the new first frame for backward extension."
    ),
    "end_image_strength": EXTEND_22B["end_image_strength"].but(
        description="Conditioning strength of the optional end keyframe. 1.0 = exact match, lower = more "
        "freedom for the model."
    ),
    "num_frames": VIDEO["num_frames"].but(
        description="The number of frames to generate for the extension segment, including "
        "num_context_frames of overlap with the source video. The new content adds approximately "
        "(num_frames - num_context_frames) / frames_per_second seconds. The stable generation budget caps "
        "the resolution x frames volume: at 24 fps roughly 20s at 480p-class, 11s at 720p-class and 5s at "
        "1080p-class; a request above the budget returns a 422 (lower num_frames or use a smaller "
        "resolution)."
    ),
    "resolution": IMAGE_TO_VIDEO["resolution"].but(
        description="The size of the generated video. 'auto' follows the source video size/aspect up to the "
        "LTX limits; the source is scaled to the final size in the stitched output. Sizes are 32px-aligned "
        "(e.g. 1920x1080 is delivered as 1888x1056). Higher resolutions reduce the maximum stable extension "
        "length; lower resolutions can run longer."
    ),
    "generate_audio": VIDEO["generate_audio"].but(
        description="Whether to generate new audio for the extension segment (crossfaded with the source "
        "audio at the seam). When disabled, the source video's own audio track is preserved and the "
        "extension stays silent."
    ),
}

# -- text-to-audio (seed endpoints only) -----------------------------------------------------------
TEXT_TO_AUDIO: Group = {
    "prompt": In(
        str,
        description="The prompt to generate the audio from.",
        limits={
            "examples": [
                "A woman says: 'Oh, what a lovely day we are having!' Natural speech, clean studio audio."
            ]
        },
    ),
    "num_frames": VIDEO["num_frames"].but(
        description="The audio duration expressed in LTX video-frame units. Duration is approximately "
        "num_frames / frames_per_second seconds."
    ),
    "frames_per_second": VIDEO["frames_per_second"].but(
        description="Frame rate used to derive the generated audio duration."
    ),
    "num_inference_steps": VIDEO["num_inference_steps"].but(description="Number of inference steps."),
    "guidance_scale": VIDEO["guidance_scale"].but(description="Classifier-free guidance scale."),
    "negative_prompt": PROMPTING["negative_prompt"].but(default=NEGATIVE_AUDIO),
    "seed": PROMPTING["seed"],
    "enable_prompt_expansion": PROMPTING["enable_prompt_expansion"].but(default=False),
    "enable_safety_checker": PROMPTING["enable_safety_checker"],
    "sync_mode": OUTPUT["sync_mode"].but(
        description="If True, the audio is returned as a data URI inline in the response. Useful for "
        "short-lived requests and tests."
    ),
}

# -- the seed quality/audio-to-video/lora document's own texts ------------------------------------
SEED_AUDIO_TO_VIDEO: Group = {
    "prompt": AUDIO_INPUTS["prompt"].but(
        examples=[
            "A person facing the camera sings with expressive natural motion, cinematic portrait lighting, "
            "realistic facial performance."
        ]
    ),
    "image_url": AUDIO_INPUTS["image_url"].but(
        description="Optional URL of an image to use as the first frame. When omitted, the workflow runs from "
        "text and audio only."
    ),
    "resolution": AUDIO_CONTROLS["resolution"].but(
        description="Final output size. 'auto' matches the input image aspect ratio when image_url is "
        "provided; otherwise it uses the workflow's landscape fallback."
    ),
    "num_inference_steps": VIDEO["num_inference_steps"].but(
        description="Number of inference steps. Defaults to 15 for this distilled ComfyUI workflow and can be "
        "increased up to 30."
    ),
    "guidance_scale": VIDEO["guidance_scale"].but(
        description="Classifier-free guidance scale. The default follows the distilled LTX-2.3 workflow."
    ),
    "loras": LORAS["loras"].but(
        description="Up to 3 LoRAs to apply on top of LTX-2.3. Each path is downloaded through the registry "
        "SSRF-safe downloader before ComfyUI loads it from local disk. Max size: 3 GB per LoRA."
    ),
}
