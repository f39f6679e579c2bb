"""Field types shared by the endpoint schemas: enums, LoRA and size inputs, output files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SizePreset = Literal[
    "square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9"
]
SizePresetOrAuto = Literal[
    "auto", "square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9"
]
VideoOutputType = Literal["X264 (.mp4)", "VP9 (.webm)", "PRORES4444 (.mov)", "GIF (.gif)"]
VideoQuality = Literal["low", "medium", "high", "maximum"]
VideoWriteMode = Literal["fast", "balanced", "small"]
Scheduler = Literal["ltx2", "linear_quadratic", "beta"]
Acceleration = Literal["none", "regular", "high", "full"]
CameraLoRA = Literal[
    "dolly_in", "dolly_out", "dolly_left", "dolly_right", "jib_up", "jib_down", "static", "none"
]
LoraTransformer = Literal["both", "video", "audio"]

MAX_LORAS = 3
# Largest side we accept for a custom size: LTX-2.3's largest documented output is 4K UHD (3840x2160).
MAX_SIDE = 3840


class InputModel(BaseModel):
    """Base of every endpoint input: unknown fields are ignored, as fal does."""

    # Defaults are validated too, so `guidance_scale: float = 1` reaches the engine as 1.0.
    model_config = ConfigDict(extra="ignore", validate_default=True)


class LoRAInput(BaseModel):
    """One user LoRA: where to fetch it, how strongly and on which transformer stream to apply it."""

    model_config = ConfigDict(extra="ignore")

    path: str = Field(
        description="URL or data URI of the LoRA weights (.safetensors).",
        examples=["https://example.com/path/to/lora.safetensors"],
    )
    scale: float = Field(
        default=1.0, ge=0.0, le=4.0, description="Scale factor for LoRA application (0.0 to 4.0)."
    )
    transformer: LoraTransformer = Field(
        default="both",
        description="Which transformer stream the LoRA is applied to: both, video only or audio only.",
    )


class ImageSize(BaseModel):
    """A custom output size in pixels; rounded to the model's grid and reported in the output."""

    model_config = ConfigDict(extra="ignore")

    width: int = Field(default=512, ge=64, le=MAX_SIDE, description="The width of the generated image.")
    height: int = Field(default=512, ge=64, le=MAX_SIDE, description="The height of the generated image.")


class File(BaseModel):
    """A stored output file."""

    url: str = Field(description="The URL where the file can be downloaded from.")
    content_type: str | None = Field(default=None, description="The mime type of the file.")
    file_name: str | None = Field(
        default=None, description="The name of the file. It will be auto-generated if not provided."
    )
    file_size: int | None = Field(default=None, description="The size of the file in bytes.")


class VideoFile(File):
    """A stored video with the size, rate and length actually produced."""

    width: int | None = Field(default=None, description="The width of the video")
    height: int | None = Field(default=None, description="The height of the video")
    fps: float | None = Field(default=None, description="The FPS of the video")
    duration: float | None = Field(default=None, description="The duration of the video")
    num_frames: int | None = Field(default=None, description="The number of frames in the video")


class AudioFile(File):
    """A stored audio file; `duration`, `sample_rate` and `channels` are our additions to fal's File."""

    duration: float | None = Field(default=None, description="The duration of the audio in seconds.")
    sample_rate: int | None = Field(default=None, description="The sample rate of the audio in Hz.")
    channels: int | None = Field(default=None, description="The number of audio channels.")


class VideoOutput(BaseModel):
    """The result of a video endpoint."""

    video: VideoFile = Field(description="The generated video.")
    seed: int = Field(description="The seed used for the random number generator.")
    prompt: str = Field(description="The prompt used for the generation.")


class AudioOutput(BaseModel):
    """The result of a text-to-audio endpoint."""

    audio: AudioFile = Field(description="The generated audio.")
    seed: int = Field(description="The seed actually used for generation.")
    prompt: str = Field(description="The prompt used for generation (after any expansion).")


@dataclass(frozen=True)
class OutputOptions:
    """How the worker encodes and returns the result; read from the input, never sent to the engine."""

    video_output_type: VideoOutputType = "X264 (.mp4)"
    video_quality: VideoQuality = "high"
    video_write_mode: VideoWriteMode = "balanced"
    sync_mode: bool = False
    enable_safety_checker: bool = True


def output_options(validated: BaseModel) -> OutputOptions:
    """The encoding options of a validated input; fields an endpoint lacks keep their defaults."""
    names = OutputOptions.__dataclass_fields__
    return OutputOptions(**{name: getattr(validated, name) for name in names if hasattr(validated, name)})
