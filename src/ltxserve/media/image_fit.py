"""The reference's H.264 round trip for conditioning images, and a video size from an image's aspect."""

from __future__ import annotations

import io
import math

import av
import numpy as np

# The reference (ltx-pipelines) re-encodes conditioning images at this CRF: the model was trained on
# frames with H.264 artefacts, and a pristine still makes it produce a frozen, over-sharp first frame.
REFERENCE_IMAGE_CRF = 33


def recompress_like_reference(pixels: np.ndarray, crf: int = REFERENCE_IMAGE_CRF) -> np.ndarray:
    """Round-trip one frame through libx264 yuv420p at `crf`, as ltx-pipelines does before VAE encoding."""
    if crf == 0:
        return pixels
    height, width = pixels.shape[:2]
    # yuv420p needs even sides: replicate the last row/column, then crop it away after decoding.
    padded = np.pad(pixels, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=1, options={"crf": str(crf), "preset": "veryfast"})
        stream.width, stream.height = padded.shape[1], padded.shape[0]
        stream.pix_fmt = "yuv420p"
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(padded), format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    buffer.seek(0)
    with av.open(buffer, "r") as container:
        decoded = next(container.decode(video=0)).to_ndarray(format="rgb24")
    return np.ascontiguousarray(decoded[:height, :width])


def auto_size_from_aspect(
    image_width: int,
    image_height: int,
    *,
    area: int = 1280 * 720,
    multiple: int = 32,
    max_aspect: float = 3.0,
) -> tuple[int, int]:
    """(width, height) with the image's aspect, about `area` pixels, both sides multiples of `multiple`."""
    aspect = min(max(image_width / image_height, 1 / max_aspect), max_aspect)
    height = math.sqrt(area / aspect)
    width = height * aspect
    return _round_to(width, multiple), _round_to(height, multiple)


def _round_to(value: float, multiple: int) -> int:
    return max(multiple, round(value / multiple) * multiple)
