"""Latent geometry: the latent grids of one request, built once from its size and the checkpoint's VAE
factors, then passed down to everything that needs a shape (tokens, conditioning, upsampling, decoding and
the memory model, which sizes a request with the same geometry the pipeline runs). No torch here.

Text-to-audio is adapted here, at the edge (`joint_request`): every mode runs the same joint audio-video
outline, and a request without pixels has a one-token stand-in video stream (frozen, cut off from the audio,
never decoded).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ltxserve.engine.request import EngineRequest, Guidance


@dataclass(frozen=True)
class LatentScales:
    """How the VAEs compress, read from the checkpoint's config (`loading.module_configs.latent_scales`)."""

    temporal: int  # video: latent frames = (F − 1) / temporal + 1, first frame on its own (8 for LTX-2.3)
    spatial: int  # video: pixels per latent cell side (32)
    # audio: mel frames per second / the audio VAE's downsampling (16 kHz / hop 160 / 4 = 25)
    audio_per_second: float

    def video_frames(self, num_frames: int) -> int:
        """Latent frames of `num_frames` pixel frames (8k+1 → k+1)."""
        return (num_frames - 1) // self.temporal + 1

    def audio_frames(self, seconds: float) -> int:
        return max(1, round(seconds * self.audio_per_second))


@dataclass(frozen=True)
class LatentChannels:
    """The checkpoint's latent widths: video channels, audio channels, audio mel bins (after the VAE)."""

    video: int
    audio: int
    audio_mel_bins: int


@dataclass(frozen=True)
class VideoShape:
    """Latent video grid (channels, frames, height, width)."""

    channels: int
    frames: int
    height: int
    width: int

    @classmethod
    def for_pixels(
        cls, channels: int, num_frames: int, height: int, width: int, scales: LatentScales
    ) -> VideoShape:
        return cls(
            channels, scales.video_frames(num_frames), height // scales.spatial, width // scales.spatial
        )

    @property
    def tokens(self) -> int:
        return self.frames * self.height * self.width


@dataclass(frozen=True)
class AudioShape:
    """Latent audio grid (channels, frames, mel bins)."""

    channels: int
    frames: int
    mel_bins: int

    @classmethod
    def for_duration(cls, channels: int, mel_bins: int, seconds: float, scales: LatentScales) -> AudioShape:
        return cls(channels, scales.audio_frames(seconds), mel_bins)


@dataclass(frozen=True)
class VideoGrid:
    """One stage's video: its latent grid and the pixel size it decodes to (0 × 0 for the stand-in)."""

    shape: VideoShape
    height: int
    width: int


@dataclass(frozen=True)
class LatentGeometry:
    """Every latent grid of one request (`LatentGeometry.of`), computed once and passed down."""

    num_frames: int
    fps: float
    video: VideoGrid  # the output size: the refine stage's grid and the decoder's
    first_stage: VideoGrid  # stage 1's grid: half width and height when two-stage, else `video`
    audio: AudioShape
    scales: LatentScales

    @classmethod
    def of(cls, request: EngineRequest, channels: LatentChannels, scales: LatentScales) -> LatentGeometry:
        """The geometry of a request as the outline runs it (after `joint_request`)."""
        return cls.build(
            request.width,
            request.height,
            request.num_frames,
            request.fps,
            request.use_multiscale,
            channels,
            scales,
        )

    @classmethod
    def build(
        cls,
        width: int,
        height: int,
        num_frames: int,
        fps: float,
        two_stage: bool,
        channels: LatentChannels,
        scales: LatentScales,
    ) -> LatentGeometry:
        audio = AudioShape.for_duration(channels.audio, channels.audio_mel_bins, num_frames / fps, scales)
        if width <= 0 or height <= 0:
            # No pixels: one latent cell, as the joint model needs some video stream (text-to-audio).
            stand_in = VideoGrid(VideoShape(channels.video, 1, 1, 1), 0, 0)
            return cls(num_frames, fps, stand_in, stand_in, audio, scales)

        def grid(downscale: int) -> VideoGrid:
            h, w = height // downscale, width // downscale
            return VideoGrid(VideoShape.for_pixels(channels.video, num_frames, h, w, scales), h, w)

        final = grid(1)
        return cls(num_frames, fps, final, grid(2) if two_stage else final, audio, scales)

    @property
    def seconds(self) -> float:
        return self.num_frames / self.fps

    @property
    def has_video(self) -> bool:
        """False for the stand-in stream of a request without pixels (text-to-audio)."""
        return self.video.width > 0

    @property
    def two_stage(self) -> bool:
        return self.first_stage != self.video


def joint_request(request: EngineRequest) -> EngineRequest:
    """The request as the joint audio-video generation every mode runs.

    Text-to-audio becomes a generation without pixels (0 × 0: the stand-in video stream), in one stage
    (nothing to upsample) and with neutral video guidance (nothing to guide); other modes are unchanged.
    """
    if request.mode != "text_to_audio":
        return request
    return replace(request, width=0, height=0, use_multiscale=False, video_guidance=Guidance())
