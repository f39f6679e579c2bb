"""Output types, and the quality × write-mode → encoder settings table (mirrored in docs/media.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

VideoOutputType = Literal["X264 (.mp4)", "VP9 (.webm)", "PRORES4444 (.mov)", "GIF (.gif)"]
VideoQuality = Literal["low", "medium", "high", "maximum"]
VideoWriteMode = Literal["fast", "balanced", "small"]

QUALITIES: tuple[VideoQuality, ...] = get_args(VideoQuality)
WRITE_MODES: tuple[VideoWriteMode, ...] = get_args(VideoWriteMode)


@dataclass(frozen=True)
class ContainerSpec:
    """What one `video_output_type` writes: container, codecs, pixel format, MIME type."""

    extension: str
    container_format: str
    content_type: str
    video_codec: str
    pix_fmt: str
    audio_codec: str | None  # None: the container carries no audio (GIF)
    audio_rate: int = 48000
    container_options: dict[str, str] = field(default_factory=dict)


CONTAINERS: dict[VideoOutputType, ContainerSpec] = {
    # +faststart moves the index to the front so browsers start playing before the download ends.
    "X264 (.mp4)": ContainerSpec(
        ".mp4", "mp4", "video/mp4", "libx264", "yuv420p", "aac", container_options={"movflags": "+faststart"}
    ),
    # bitexact: no random SegmentUID or muxing date, so equal frames give an equal file (docs/media.md).
    "VP9 (.webm)": ContainerSpec(
        ".webm",
        "webm",
        "video/webm",
        "libvpx-vp9",
        "yuv420p",
        "libopus",
        container_options={"fflags": "+bitexact"},
    ),
    # 10-bit 4:4:4 without alpha: the generated frames are opaque, an alpha plane would only add bytes.
    "PRORES4444 (.mov)": ContainerSpec(
        ".mov", "mov", "video/quicktime", "prores_ks", "yuv444p10le", "pcm_s16le"
    ),
    "GIF (.gif)": ContainerSpec(".gif", "gif", "image/gif", "gif", "pal8", None),
}


@dataclass(frozen=True)
class VideoSettings:
    """Encoder options for one (output type, quality, write mode)."""

    codec_options: dict[str, str]
    audio_bit_rate: int | None = None
    gif_colors: int = 256  # GIF only: palette size
    gif_dither: str = "sierra2_4a"  # GIF only: paletteuse dithering
    gif_diff_rectangle: bool = False  # GIF only: re-dither only the changed rectangle


X264_DETERMINISTIC = "mbtree=0"
_X264_CRF = {"low": 28, "medium": 23, "high": 18, "maximum": 12}
_X264_PRESET = {"fast": "superfast", "balanced": "medium", "small": "slower"}
_VP9_CRF = {"low": 40, "medium": 34, "high": 28, "maximum": 20}
_VP9_SPEED = {"fast": ("realtime", 8), "balanced": ("good", 4), "small": ("good", 2)}
# ProRes is intra-only: rate-controlled prores_ks gets a bits-per-macroblock target (4444 XQ for maximum)...
_PRORES_BITS = {
    "low": ("4444", 1000),
    "medium": ("4444", 1500),
    "high": ("4444", 2200),
    "maximum": ("4444xq", 3300),
}
# ...while `fast` skips the rate search with a fixed quantiser (about 10× faster, larger files).
_PRORES_FAST_QUANT = {"low": 8, "medium": 6, "high": 4, "maximum": 2}
_GIF_COLORS = {"low": 32, "medium": 64, "high": 128, "maximum": 256}
_AAC_BITS = {"low": 128_000, "medium": 160_000, "high": 192_000, "maximum": 256_000}
_OPUS_BITS = {"low": 96_000, "medium": 128_000, "high": 160_000, "maximum": 192_000}
# `small` also gives up one notch of quality: a slower preset alone saves only a few percent and on some
# content saves nothing, while the mode promises the smallest file.
_SMALL_CRF_OFFSET = {"X264 (.mp4)": 1, "VP9 (.webm)": 2}
_SMALL_PRORES_BITS = 0.8
_SMALL_GIF_COLORS = 0.75


def video_settings(
    output_type: VideoOutputType, quality: VideoQuality, write_mode: VideoWriteMode
) -> VideoSettings:
    """The table lookup; raises KeyError for values outside the published enums."""
    small = write_mode == "small"
    if output_type == "X264 (.mp4)":
        crf = _X264_CRF[quality] + (_SMALL_CRF_OFFSET[output_type] if small else 0)
        options = {"crf": str(crf), "preset": _X264_PRESET[write_mode], "profile": "high"}
        # x264's AVX-512 macroblock-tree code gives a different stream on every run when the width is not a
        # multiple of 128 px; without mbtree equal frames always give equal bytes (docs/media.md).
        options["x264-params"] = X264_DETERMINISTIC
        return VideoSettings(options, audio_bit_rate=_AAC_BITS[quality])
    if output_type == "VP9 (.webm)":
        crf = _VP9_CRF[quality] + (_SMALL_CRF_OFFSET[output_type] if small else 0)
        deadline, cpu_used = _VP9_SPEED[write_mode]
        # b=0 makes crf a constant-quality target; row-mt parallelises within a frame.
        options = {"crf": str(crf), "b": "0", "deadline": deadline, "cpu-used": str(cpu_used), "row-mt": "1"}
        return VideoSettings(options, audio_bit_rate=_OPUS_BITS[quality])
    if output_type == "PRORES4444 (.mov)":
        profile, bits = _PRORES_BITS[quality]
        # apl0 as the vendor: Final Cut and QuickTime treat the stream as Apple-made and decode it natively.
        options = {"profile": profile, "vendor": "apl0"}
        if write_mode == "fast":
            quant = _PRORES_FAST_QUANT[quality]
            options |= {"flags": "+qscale", "global_quality": str(quant * 118)}  # FF_QP2LAMBDA = 118
        else:
            options["bits_per_mb"] = str(round(bits * (_SMALL_PRORES_BITS if small else 1.0)))
        return VideoSettings(options)
    if output_type == "GIF (.gif)":
        colors = _GIF_COLORS[quality]
        if small:
            colors = max(16, round(colors * _SMALL_GIF_COLORS))
        dither = "bayer" if write_mode == "fast" else "sierra2_4a"  # ordered dither: no error diffusion
        return VideoSettings({}, gif_colors=colors, gif_dither=dither, gif_diff_rectangle=small)
    raise KeyError(output_type)
