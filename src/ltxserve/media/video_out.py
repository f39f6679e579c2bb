"""Streaming video encoder: frames are encoded as they arrive; audio is muxed alongside, cut to length."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, VideoReformatter

from ltxserve.arrays.audio import fit_length, resample, sanitize, to_stereo
from ltxserve.media.frame_rate import frame_rate_fraction
from ltxserve.media.gif_palette import GIF_TIME_BASE, GifQuantizer
from ltxserve.media.presets import (
    CONTAINERS,
    VideoOutputType,
    VideoQuality,
    VideoWriteMode,
    video_settings,
)
from ltxserve.media.probe import VideoFileInfo, probe_video

_BT709 = 1  # AVCOL_PRI/TRC/SPC_BT709: generated frames are sRGB/BT.709, tag them so players agree


@dataclass(frozen=True)
class AudioTrack:
    """A waveform to mux: (channels, samples) float32 in [-1, 1] at `sample_rate`."""

    waveform: np.ndarray
    sample_rate: int


class VideoEncoder:
    """open → write(chunk) … → close() → VideoFileInfo measured from the written file."""

    def __init__(
        self,
        path: str | Path,
        *,
        width: int,
        height: int,
        fps: float,
        output_type: VideoOutputType = "X264 (.mp4)",
        quality: VideoQuality = "high",
        write_mode: VideoWriteMode = "balanced",
        audio: AudioTrack | None = None,
    ):
        self.spec = CONTAINERS[output_type]
        self.path = Path(path)
        if self.path.suffix.lower() != self.spec.extension:
            raise ValueError(f"{output_type} writes {self.spec.extension} files, not {self.path.name}")
        if self.spec.pix_fmt == "yuv420p" and (width % 2 or height % 2):
            raise ValueError(f"{output_type} needs even width and height, got {width}×{height}")
        self.width, self.height = width, height
        self.rate = frame_rate_fraction(fps)
        self.settings = video_settings(output_type, quality, write_mode)
        self.frames_written = 0
        self.info: VideoFileInfo | None = None  # set by close()
        self._container = av.open(
            str(self.path),
            "w",
            format=self.spec.container_format,
            container_options=self.spec.container_options,
        )
        try:
            self._video = self._add_video_stream()
            self._audio, self._waveform = self._add_audio_stream(audio)
        except Exception:
            self._abort()
            raise
        self._audio_sent = 0
        self._gif_delays: dict[int, int] = {}  # pts → delay, both in centiseconds
        self._reformatter = VideoReformatter()  # one swscale context for the whole video
        self._gif = (
            GifQuantizer(
                width,
                height,
                colors=self.settings.gif_colors,
                dither=self.settings.gif_dither,
                diff_rectangle=self.settings.gif_diff_rectangle,
            )
            if self.spec.video_codec == "gif"
            else None
        )

    def write(self, frames: np.ndarray) -> None:
        """Encode a chunk of frames (n, H, W, 3) uint8 (or one frame (H, W, 3)) right away."""
        if frames.ndim == 3:
            frames = frames[None]
        if frames.shape[1:] != (self.height, self.width, 3) or frames.dtype != np.uint8:
            raise ValueError(
                f"expected (n, {self.height}, {self.width}, 3) uint8 frames, got {frames.shape} {frames.dtype}"
            )
        if self._gif is not None:
            first = self.frames_written
            pts = [self._gif_pts(i) for i in range(first, first + len(frames) + 1)]
            self._gif_delays.update((start, end - start) for start, end in itertools.pairwise(pts))
            self._encode_video(self._gif.push(frames, pts[:-1]))
        else:
            self._encode_video(
                self._to_codec_frame(pixels, self.frames_written + i) for i, pixels in enumerate(frames)
            )
        self.frames_written += len(frames)
        self._send_audio(until_sample=self._audio_target())

    def close(self) -> VideoFileInfo:
        """Flush the encoders, pad/trim audio to the video's duration, finish the file and probe it."""
        if self.info is not None:
            return self.info
        if self.frames_written == 0:
            self._abort()
            raise ValueError("no frames were written")
        if self._gif is not None:
            self._encode_video(self._gif.flush())
        self._encode_video([None])
        if self._audio is not None:
            self._send_audio(until_sample=self._audio_target(), final=True)
            self._mux(self._audio.encode(None))
        self._container.close()
        self.info = probe_video(self.path, content_type=self.spec.content_type)
        return self.info

    def __enter__(self) -> VideoEncoder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            self._abort()
        elif self.info is None:
            self.close()  # leaving the block finishes the file, as leaving `with open(...)` does

    def _add_video_stream(self) -> av.VideoStream:
        codec_rate = GIF_TIME_BASE**-1 if self.spec.video_codec == "gif" else self.rate
        stream = self._container.add_stream(
            self.spec.video_codec, rate=codec_rate, options=self.settings.codec_options
        )
        if not isinstance(stream, av.VideoStream):
            raise ValueError(f"{self.spec.video_codec} is not a video codec")
        stream.width, stream.height, stream.pix_fmt = self.width, self.height, self.spec.pix_fmt
        context = stream.codec_context
        context.time_base = GIF_TIME_BASE if self.spec.video_codec == "gif" else 1 / self.rate
        # Frame threads as well as slice threads: what the ffmpeg command line uses, and prores_ks needs it.
        context.thread_type = "AUTO"
        if self.spec.pix_fmt != "pal8":
            context.color_primaries = context.color_trc = context.colorspace = _BT709
            context.color_range = 1  # limited ("MPEG") range, what every player assumes for H.264/VP9
        return stream

    def _add_audio_stream(self, audio: AudioTrack | None) -> tuple[av.AudioStream | None, np.ndarray | None]:
        if audio is None or self.spec.audio_codec is None:
            return None, None  # GIF carries no audio: the track is dropped by design
        rate = self.spec.audio_rate
        stream = self._container.add_stream(self.spec.audio_codec, rate=rate, layout="stereo")
        if not isinstance(stream, av.AudioStream):
            raise ValueError(f"{self.spec.audio_codec} is not an audio codec")
        if self.settings.audio_bit_rate:
            stream.bit_rate = self.settings.audio_bit_rate
        waveform = resample(to_stereo(sanitize(audio.waveform)), audio.sample_rate, rate)
        return stream, waveform

    def _gif_pts(self, index: int) -> int:
        """Frame `index`'s start in centiseconds: rounding per frame keeps the total exact (4,4,4,5,... at 24 fps)."""
        return round(index / self.rate / GIF_TIME_BASE)

    def _to_codec_frame(self, pixels: np.ndarray, index: int) -> av.VideoFrame:
        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
        # Convert here rather than in the encoder: only reformat() takes the BT.709 matrix and range.
        frame = self._reformatter.reformat(
            frame, format=self.spec.pix_fmt, dst_colorspace=Colorspace.ITU709, dst_color_range=ColorRange.MPEG
        )
        frame.pts, frame.time_base = index, 1 / self.rate
        return frame

    def _encode_video(self, frames: Iterable[av.VideoFrame | None]) -> None:
        for frame in frames:
            self._mux(self._video.encode(frame))

    def _audio_target(self) -> int:
        """Audio samples that match the frames written so far."""
        return round(Fraction(self.frames_written) / self.rate * self.spec.audio_rate)

    def _send_audio(self, *, until_sample: int, final: bool = False) -> None:
        if self._audio is None or self._waveform is None:
            return
        end = until_sample if final else min(until_sample, self._waveform.shape[1])
        if end <= self._audio_sent:
            return
        chunk = fit_length(self._waveform[:, self._audio_sent : end], end - self._audio_sent)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout="stereo")
        frame.sample_rate = self.spec.audio_rate
        frame.pts, frame.time_base = self._audio_sent, Fraction(1, self.spec.audio_rate)
        self._mux(self._audio.encode(frame))
        self._audio_sent = end

    def _mux(self, packets: Iterable[av.Packet[av.VideoStream] | av.Packet[av.AudioStream]]) -> None:
        for packet in packets:
            if self._gif_delays and packet.pts in self._gif_delays:
                # The GIF muxer writes each delay from the packet duration, which the encoder leaves at 0.
                packet.duration = self._gif_delays.pop(packet.pts)
            self._container.mux(packet)

    def _abort(self) -> None:
        """Close what is open and remove the partial file."""
        with contextlib.suppress(av.FFmpegError):
            self._container.close()
        self.path.unlink(missing_ok=True)


def encode_video(
    path: str | Path,
    frames: np.ndarray,
    *,
    fps: float,
    output_type: VideoOutputType = "X264 (.mp4)",
    quality: VideoQuality = "high",
    write_mode: VideoWriteMode = "balanced",
    audio: AudioTrack | None = None,
    chunk_frames: int = 16,
) -> VideoFileInfo:
    """One-shot convenience over VideoEncoder for frames already in memory (F, H, W, 3) uint8."""
    height, width = frames.shape[1:3]
    with VideoEncoder(
        path,
        width=width,
        height=height,
        fps=fps,
        output_type=output_type,
        quality=quality,
        write_mode=write_mode,
        audio=audio,
    ) as encoder:
        for start in range(0, len(frames), chunk_frames):
            encoder.write(frames[start : start + chunk_frames])
        return encoder.close()
