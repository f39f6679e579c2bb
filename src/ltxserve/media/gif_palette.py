"""GIF colour quantisation that streams: one palette from the first chunk, then paletteuse per frame."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

# Frames sampled from the first chunk to build the palette; palettegen over the whole video would have
# to hold every frame until the end (a full second copy of the video), which streaming rules out.
PALETTE_SAMPLE_FRAMES = 8
# palettegen's median cut slows with the number of distinct colours: sample at most this many pixels per
# frame and drop the two low bits of each channel (bin centres kept), which leaves the palette unchanged
# to the eye and makes it seconds faster on detailed frames.
PALETTE_SAMPLE_PIXELS = 256 * 160
GIF_TIME_BASE = Fraction(1, 100)  # GIF delays are in centiseconds
RGB24 = av.VideoFormat("rgb24")


class GifQuantizer:
    """RGB frames in, pal8 frames (with GIF-centisecond pts) out."""

    def __init__(self, width: int, height: int, *, colors: int, dither: str, diff_rectangle: bool):
        self.width, self.height = width, height
        self.colors, self.dither, self.diff_rectangle = colors, dither, diff_rectangle
        self._graph: av.filter.Graph | None = None

    def push(self, chunk: np.ndarray, pts: list[int]) -> list[av.VideoFrame]:
        """Quantise a chunk (n, H, W, 3) whose frames start at `pts` (centiseconds)."""
        if self._graph is None:
            self._build(_palette(chunk, self.colors))
        out: list[av.VideoFrame] = []
        for frame_pixels, frame_pts in zip(chunk, pts, strict=True):
            frame = av.VideoFrame.from_ndarray(frame_pixels, format="rgb24")
            frame.pts, frame.time_base = frame_pts, GIF_TIME_BASE
            self._source.push(frame)
            out.extend(self._drain())
        return out

    def flush(self) -> list[av.VideoFrame]:
        if self._graph is None:
            return []
        self._source.push(None)
        return self._drain()

    def _build(self, palette: av.VideoFrame) -> None:
        graph = av.filter.Graph()
        self._source = graph.add_buffer(
            width=self.width, height=self.height, format=RGB24, time_base=GIF_TIME_BASE
        )
        palette_source = graph.add_buffer(width=16, height=16, format=palette.format, time_base=GIF_TIME_BASE)
        options = {"dither": self.dither}
        if self.diff_rectangle:
            options["diff_mode"] = "rectangle"
        use = graph.add("paletteuse", **options)
        self._sink = graph.add("buffersink")
        self._source.link_to(use, 0, 0)
        palette_source.link_to(use, 0, 1)
        use.link_to(self._sink)
        graph.configure()
        # One palette frame then end-of-stream: paletteuse keeps using the last palette for every frame.
        palette_source.push(palette)
        palette_source.push(None)
        self._graph = graph

    def _drain(self) -> list[av.VideoFrame]:
        frames = []
        while True:
            try:
                frames.append(_video_frame(self._sink.pull()))
            except (av.BlockingIOError, av.EOFError):
                return frames


def _palette(chunk: np.ndarray, colors: int) -> av.VideoFrame:
    """palettegen over up to PALETTE_SAMPLE_FRAMES evenly spaced frames of `chunk`."""
    step = max(1, len(chunk) // PALETTE_SAMPLE_FRAMES)
    stride = max(1, int(np.sqrt(chunk.shape[1] * chunk.shape[2] / PALETTE_SAMPLE_PIXELS)))
    sample = (chunk[::step, ::stride, ::stride] & 0xFC) | 0x02  # (n, h, w, 3) uint8
    graph = av.filter.Graph()
    height, width = sample.shape[1:3]
    source = graph.add_buffer(width=width, height=height, format=RGB24, time_base=GIF_TIME_BASE)
    # No reserved transparent entry: our frames are opaque, so every palette slot holds a real colour.
    gen = graph.add("palettegen", max_colors=str(colors), reserve_transparent="0", stats_mode="full")
    sink = graph.add("buffersink")
    source.link_to(gen)
    gen.link_to(sink)
    graph.configure()
    for index, pixels in enumerate(sample):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
        frame.pts = index
        source.push(frame)
    source.push(None)
    return _video_frame(sink.pull())


def _video_frame(frame: av.frame.Frame) -> av.VideoFrame:
    """A filter sink's frame as the video frame that a video-only graph always yields."""
    if not isinstance(frame, av.VideoFrame):
        raise TypeError(f"the GIF filter graph yielded {type(frame).__name__}, not a video frame")
    return frame
