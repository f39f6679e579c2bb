"""Tiled and chunked video decoding: overlapping latent tiles, decoded one at a time, blended with linear ramps.

Written by hand: diffusers' `AutoencoderKLLTX2Video` tiles space and time too, but its temporal chunks drop
a frame after the first chunk (the blend pairs frames one apart) and its overlaps are fixed in pixels,
too small for the decoder's receptive field. Here tiles are cut in latent units; a latent tile [a, b)
decodes exactly to pixels [32a, 32b) and a chunk of latent frames [s, e) to frames [8s, 8(e−1)] (the first
latent frame of any chunk decodes to one frame). Overlaps are blended with weights that ramp from the tile
edge, where the decoder saw no context, to its middle. docs/memory.md states the tolerance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ltxserve.engine.memory.peaks import CHUNK_LATENTS, TILE_LATENTS

Decode = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Tiling:
    """Tile sizes and overlaps in latent units (space: 32 px each; time: 8 frames each)."""

    tile: int = TILE_LATENTS  # 16: 512 px
    overlap: int = 4  # 128 px, at least the reference's 64 px
    chunk: int = CHUNK_LATENTS  # 8: 57 frames per chunk
    chunk_overlap: int = 3  # 17 frames, as the reference's 24-frame temporal overlap rounded to latents

    def spans(self, length: int, size: int, overlap: int) -> list[tuple[int, int]]:
        """[start, end) windows of `size` covering 0..length, consecutive ones sharing `overlap`."""
        if length <= size:
            return [(0, length)]
        step = max(1, size - overlap)
        starts = [*range(0, length - size, step), length - size]
        return [(s, s + size) for s in starts]


def ramp(length: int, lead: int, tail: int) -> torch.Tensor:
    """(length,) blend weights of a tile sharing `lead` entries with the previous tile and `tail` with the next.

    Across an overlap of n entries the weight is 0 over the outer n//4 (where the decoder saw padding
    instead of context), rises linearly over the middle, and is 1 over the inner n//4; the neighbour's
    weights mirror these, so the two always sum to 1.
    """
    weights = torch.ones(length)
    for n, side in ((min(lead, length), 1), (min(tail, length), -1)):
        if n == 0:
            continue
        dead = n // 4
        rise = torch.zeros(n)
        rise[dead : n - dead] = torch.arange(1, n - 2 * dead + 1) / (n - 2 * dead + 1)
        rise[n - dead :] = 1.0
        if side == 1:
            weights[:n] = torch.minimum(weights[:n], rise)
        else:
            weights[-n:] = torch.minimum(weights[-n:], rise.flip(0))
    return weights


def decode_tiled(decode: Decode, latent: torch.Tensor, tiling: Tiling) -> np.ndarray:
    """`decode`: (1, C, f, h, w) latent → (1, 3, F', H', W') in [-1, 1]; returns (F, H, W, 3) uint8 frames.

    The compression factors are read from the first decoded chunk. Finished frames leave the device as
    uint8 as soon as no later chunk overlaps them.
    """
    frames = latent.shape[2]
    out: np.ndarray | None = None
    pending: torch.Tensor | None = None  # (3, n, H, W) weighted sums of frames from `pending_start`
    weights: torch.Tensor | None = None  # (n,) their summed temporal weights
    pending_start, temporal = 0, 1
    # Chunks share at least their boundary latent frame: a chunk's first latent decodes to a single frame.
    chunks = tiling.spans(frames, tiling.chunk, max(1, tiling.chunk_overlap))
    for index, (s, e) in enumerate(chunks):
        video = _decode_chunk(decode, latent[:, :, s:e], tiling)  # (3, f, H, W) float32
        if out is None:
            temporal = (video.shape[1] - 1) // (e - s - 1) if e - s > 1 else 1
            out = np.empty(((frames - 1) * temporal + 1, *video.shape[2:], 3), dtype=np.uint8)
        first = s * temporal
        lead = (chunks[index - 1][1] - 1 - s) * temporal + 1 if index else 0
        tail = (e - 1 - chunks[index + 1][0]) * temporal + 1 if index + 1 < len(chunks) else 0
        w = ramp(video.shape[1], lead, tail).to(video.device)
        video = video * w[None, :, None, None]
        if pending is None or weights is None:
            pending, weights, pending_start = video, w, first
        else:
            offset = first - pending_start
            grow = offset + video.shape[1] - pending.shape[1]
            pending = torch.cat([pending, pending.new_zeros(3, grow, *pending.shape[2:])], dim=1)
            weights = torch.cat([weights, weights.new_zeros(grow)])
            pending[:, offset:] += video
            weights[offset:] += w
        last = index + 1 == len(chunks)
        done = pending.shape[1] if last else chunks[index + 1][0] * temporal - pending_start
        _emit(out, pending[:, :done] / weights[None, :done, None, None], pending_start)
        pending, weights, pending_start = pending[:, done:], weights[done:], pending_start + done
    assert out is not None
    return out


def _decode_chunk(decode: Decode, latent: torch.Tensor, tiling: Tiling) -> torch.Tensor:
    """One time chunk, decoded tile by tile and blended in space: (3, F', H, W) float32."""
    _, _, _, height, width = latent.shape
    rows = tiling.spans(height, tiling.tile, tiling.overlap)
    cols = tiling.spans(width, tiling.tile, tiling.overlap)
    canvas: torch.Tensor | None = None
    norm: torch.Tensor | None = None
    spatial = 1
    for i, (y0, y1) in enumerate(rows):
        for j, (x0, x1) in enumerate(cols):
            tile = decode(latent[:, :, :, y0:y1, x0:x1])[0].float()  # (3, F', h·32, w·32)
            if canvas is None or norm is None:
                spatial = tile.shape[-1] // (x1 - x0)
                canvas = tile.new_zeros(3, tile.shape[1], height * spatial, width * spatial)
                norm = tile.new_zeros(height * spatial, width * spatial)
            wy = _edge_ramp(rows, i, spatial).to(tile.device)
            wx = _edge_ramp(cols, j, spatial).to(tile.device)
            weight = wy[:, None] * wx[None, :]
            canvas[:, :, y0 * spatial : y1 * spatial, x0 * spatial : x1 * spatial] += tile * weight
            norm[y0 * spatial : y1 * spatial, x0 * spatial : x1 * spatial] += weight
    assert canvas is not None and norm is not None
    return canvas / norm


def _edge_ramp(spans: list[tuple[int, int]], index: int, scale: int) -> torch.Tensor:
    """Pixel weights of tile `index`: ramps where it overlaps its neighbours, 1 elsewhere."""
    start, end = spans[index]
    lead = (spans[index - 1][1] - start) * scale if index else 0
    tail = (end - spans[index + 1][0]) * scale if index + 1 < len(spans) else 0
    return ramp((end - start) * scale, lead, tail)


def _emit(out: np.ndarray, frames: torch.Tensor, start: int) -> None:
    """(3, n, H, W) in [-1, 1] → uint8 frames `start`..`start + n` of `out` (same rounding as decode_video)."""
    if frames.shape[1] == 0:
        return
    pixels = frames.clamp(-1.0, 1.0).add_(1.0).mul_(127.5).round_().to(torch.uint8)
    out[start : start + frames.shape[1]] = pixels.permute(1, 2, 3, 0).cpu().numpy()
