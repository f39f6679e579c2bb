"""The engine's contract: plain, serialisable data in and out (no torch here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Mode = Literal["text_to_video", "audio_to_video", "text_to_audio"]
SchedulerName = Literal["ltx2", "linear_quadratic", "beta", "distilled"]
Acceleration = Literal["none", "regular", "high", "full"]
LoraTarget = Literal["both", "video", "audio"]
# Whose adapter a `LoraSpec` is: one of the user's `loras`, or the 22b endpoints' `camera_lora`.
LoraKind = Literal["user", "camera"]


@dataclass(frozen=True)
class Guidance:
    """Per-modality guidance scales; the neutral values make a pass a no-op."""

    cfg: float = 1.0
    stg: float = 0.0
    rescale: float = 0.0
    modality: float = 1.0

    @property
    def needs_negative(self) -> bool:
        return self.cfg != 1.0

    @property
    def needs_perturbed(self) -> bool:
        return self.stg != 0.0

    @property
    def needs_isolated(self) -> bool:
        return self.modality != 1.0


@dataclass(frozen=True)
class LoraSpec:
    """One adapter: a local safetensors path, its strength, which stream it touches and whose it is.

    `kind` names the input field an unusable file is reported at: `loras[i]` (the i-th user LoRA) or
    `camera_lora`.
    """

    path: str
    scale: float = 1.0
    target: LoraTarget = "both"
    kind: LoraKind = "user"


@dataclass(frozen=True)
class ImageInput:
    """A conditioning image, (height, width, 3) uint8 at the request's size, prepared as the model expects
    (fitted, then the reference's H.264 round trip: `endpoints/conditioning.py`)."""

    pixels: np.ndarray
    strength: float = 1.0


@dataclass(frozen=True)
class AudioInput:
    """A waveform that conditions generation, (channels, samples) float32 in [-1, 1].

    `original` is the user's track as decoded when `waveform` is a prepared copy (22b audio-to-video's
    `preprocess_audio`; same shape). A frozen input (strength 1) is handed back as the output audio, and
    that is always the user's own track (`track`).
    """

    waveform: np.ndarray
    sample_rate: int
    strength: float = 1.0
    original: np.ndarray | None = None

    @property
    def track(self) -> np.ndarray:
        """The user's audio as decoded: what the output carries when this input is frozen."""
        return self.waveform if self.original is None else self.original

    @property
    def frozen(self) -> bool:
        """Strength 1: the model keeps this audio as it is (no audio guidance; the output is `track`)."""
        return self.strength >= 1.0


@dataclass(frozen=True)
class VideoContext:
    """Frames of a source video that condition one end of the new segment (extend-video).

    `frames` is (F, H, W, 3) uint8 with F = 8k+1, at any size (the engine fits each stage's size). At the
    start (`at_end=False`) the F frames become the segment's first k+1 latent frames; at the end their
    last 8k frames become the segment's last k latent frames (a segment's first latent frame holds one
    pixel frame, later ones eight). `audio` is the same window of the source's audio track.
    """

    frames: np.ndarray
    strength: float = 1.0
    at_end: bool = False
    audio: AudioInput | None = None


@dataclass(frozen=True)
class EngineRequest:
    """Everything one generation needs, and only that; built by an endpoint's plan (`endpoints/`) from a
    validated input and its resolved files, with every input already prepared for the model."""

    mode: Mode
    prompt: str
    negative_prompt: str = ""
    width: int = 768
    height: int = 512
    num_frames: int = 121
    fps: float = 24.0
    num_inference_steps: int = 15
    scheduler: SchedulerName = "ltx2"
    video_guidance: Guidance = field(default_factory=Guidance)
    audio_guidance: Guidance = field(default_factory=Guidance)
    # Blocks whose self-attention STG skips; None: the model's own choice (block 28 of 48 for LTX-2.3).
    stg_blocks: tuple[int, ...] | None = None
    seed: int | None = None
    generate_audio: bool = True
    audio: AudioInput | None = None
    image: ImageInput | None = None
    end_image: ImageInput | None = None
    use_multiscale: bool = False
    # The distilled LoRA's strength in stage 1 and in the refine stage (0 disables it for that stage).
    distill_lora_scales: tuple[float, float] = (0.0, 0.0)
    # The user's LoRAs in input order, then the camera LoRA (22b endpoints) when one was chosen.
    loras: tuple[LoraSpec, ...] = ()
    use_restart_sampling: bool = False
    gradient_estimation_gamma: float = 0.0
    acceleration: Acceleration = "none"
    enable_prompt_expansion: bool = False
    # Run as the distilled model (the 22b/distilled endpoints): a distilled checkpoint as it is, a dev
    # checkpoint with the distilled LoRA at full strength in both stages (`distill_lora_scales` is then
    # set by the engine). Guidance is neutral and the schedule the distilled one.
    distilled: bool = False
    # extend-video: source frames (and audio) the new segment continues from or leads into.
    video_context: VideoContext | None = None


@dataclass(frozen=True)
class GenerationResult:
    """What the engine hands back: raw media plus the values actually used."""

    frames: np.ndarray | None  # (F, H, W, 3) uint8, None for text-to-audio
    waveform: np.ndarray | None  # (channels, samples) float32, None when no audio
    sample_rate: int
    fps: float
    seed: int
    prompt: str
    width: int
    height: int
    num_frames: int
    # Things the caller should tell the user (e.g. expansion fell back to the original prompt).
    warnings: tuple[str, ...] = ()


class GenerationCancelled(Exception):
    """Raised between denoising steps when `should_cancel()` turns true."""
