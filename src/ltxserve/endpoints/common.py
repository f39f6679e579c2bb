"""Field types shared by the endpoint schemas: enums, LoRA and size inputs, output files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

# Defined once, where they are acted on (the engine's request, the media encoder's table); the schemas
# re-export them.
from ltxserve.engine.request import Acceleration as Acceleration
from ltxserve.engine.request import LoraTarget
from ltxserve.media.presets import VideoOutputType as VideoOutputType
from ltxserve.media.presets import VideoQuality as VideoQuality
from ltxserve.media.presets import VideoWriteMode as VideoWriteMode

SizePreset = Literal[
    "square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9"
]
SizePresetOrAuto = Literal["auto", SizePreset]
Scheduler = Literal["ltx2", "linear_quadratic", "beta"]
CameraLoRA = Literal[
    "dolly_in", "dolly_out", "dolly_left", "dolly_right", "jib_up", "jib_down", "static", "none"
]

MAX_LORAS = 3
# Largest side we accept for a custom size: LTX-2.3's largest documented output is 4K UHD (3840x2160).
MAX_SIDE = 3840


# Seeds go to torch's generator (and to a chat endpoint's int64 `seed`): 0 <= seed <= 2**63 - 1.
MAX_SEED = 2**63 - 1
# Prompts: the text encoder reads 1024 tokens (about 4,000 characters); prompt expansion may lengthen a
# short prompt, so the cap is generous, but a 200 MB "prompt" is refused at submit (docs/api.md).
MAX_PROMPT_CHARS = 20_000
PROMPT_FIELDS = ("prompt", "negative_prompt")


class InputModel(BaseModel):
    """Base of every endpoint input: unknown fields are ignored, as fal does.

    Every endpoint's `seed` and prompt fields get the same caps here, so an endpoint cannot forget them.
    """

    # Defaults are validated too, so `guidance_scale: float = 1` reaches the engine as 1.0.
    model_config = ConfigDict(extra="ignore", validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _image_size_alias(cls, data: Any) -> Any:
        """fal's 22b docs show `image_size` for custom sizes: an alias of `video_size` where it exists."""
        aliased = isinstance(data, dict) and "image_size" in data and "video_size" not in data
        if aliased and "video_size" in cls.model_fields:
            data = {**data, "video_size": data["image_size"]}
        return data

    @field_validator("*", mode="after")
    @classmethod
    def _caps(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name == "seed" and isinstance(value, int) and not 0 <= value <= MAX_SEED:
            raise PydanticCustomError(
                "seed_out_of_range",
                "Seed must be between 0 and {max} (inclusive)",
                {"max": MAX_SEED, "min": 0},
            )
        if info.field_name in PROMPT_FIELDS and isinstance(value, str) and len(value) > MAX_PROMPT_CHARS:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": MAX_PROMPT_CHARS},
            )
        return value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The caps above, shown in the schema (OpenAPI) too."""
        schema = handler(core_schema)
        props = handler.resolve_ref_schema(schema).get("properties", {})
        for name in PROMPT_FIELDS:
            if name in props:
                props[name]["maxLength"] = MAX_PROMPT_CHARS
        if "seed" in props:
            branches = props["seed"].get("anyOf", [props["seed"]])
            for branch in branches:
                if branch.get("type") == "integer":
                    branch.update(minimum=0, maximum=MAX_SEED)
        return schema


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
    transformer: LoraTarget = Field(
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


class LTX2ExtendVideoOutput(VideoOutput):
    """The result of the newer 22b endpoints (fal's type name; the same fields as `VideoOutput`)."""


class ExtendVideoOutput(VideoOutput):
    """The result of the newer quality endpoints (fal's type name; the same fields as `VideoOutput`)."""
