"""Tiled video decoding: exact bookkeeping and blending, and the tiny VAE's tiled output close to the whole."""

import numpy as np
import pytest
import torch

from ltxserve.engine.generation.tiling import Tiling, decode_tiled, ramp
from ltxserve.engine.generation.vae import decode_video


def local_decoder(latent: torch.Tensor) -> torch.Tensor:
    """A stand-in VAE with a 1-latent receptive field and the real frame mapping: (1, C, f, h, w) →
    (1, 3, 8(f−1)+1, 32h, 32w), pixel frame p from latent frame ⌈p/8⌉."""
    weight = torch.linspace(-1, 1, 3 * latent.shape[1] * 27).reshape(3, latent.shape[1], 3, 3, 3) / 20
    mixed = torch.nn.functional.conv3d(latent, weight, padding=1).tanh()
    frames = torch.cat([mixed[:, :, :1], mixed[:, :, 1:].repeat_interleave(8, dim=2)], dim=2)
    return frames.repeat_interleave(32, dim=3).repeat_interleave(32, dim=4)


def whole(latent: torch.Tensor) -> np.ndarray:
    video = local_decoder(latent)[0].clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)
    return video.permute(1, 2, 3, 0).numpy()


@pytest.mark.parametrize("tiling", [Tiling(5, 4, 6, 5), Tiling(6, 4, 7, 6), Tiling(16, 4, 8, 5)])
def test_tiles_and_chunks_blend_back_to_the_whole_decode_exactly(tiling):
    # The dead zone of each overlap (a quarter) covers this decoder's 1-latent receptive field, so any
    # difference would be a seam or a misplaced frame.
    latent = torch.randn(1, 4, 11, 7, 9, generator=torch.Generator().manual_seed(0))
    tiled = decode_tiled(local_decoder, latent, tiling)
    expected = whole(latent)
    assert tiled.shape == expected.shape == (81, 224, 288, 3)
    assert np.abs(tiled.astype(int) - expected.astype(int)).max() <= 1  # one rounding step


def test_blend_weights_rise_from_the_edges_and_pair_up_to_one():
    assert ramp(10, 8, 0).tolist() == pytest.approx([0, 0, 0.2, 0.4, 0.6, 0.8, 1, 1, 1, 1])
    left, right = ramp(12, 0, 8), ramp(12, 8, 0)
    assert (left[-8:] + right[:8]).tolist() == pytest.approx([1.0] * 8)


@pytest.fixture(scope="module")
def tiny_vae(tiny_engine):
    return tiny_engine.parts.video_vae


def test_tiny_vae_tiled_decode_matches_the_whole_within_tolerance(tiny_vae):
    # The tiny VAE's random weights see about ±4 latents in every direction, so tiles overlap by 8.
    latent = torch.randn(1, 128, 2, 20, 20, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        expected = decode_video(tiny_vae, latent).astype(int)
        close = decode_video(tiny_vae, latent, Tiling(tile=12, overlap=8)).astype(int)
        coarse = decode_video(tiny_vae, latent, Tiling(tile=10, overlap=4)).astype(int)
    error = np.abs(close - expected)
    assert error.mean() < 3 and np.percentile(error, 99) <= 16  # of 255
    assert error.mean() < np.abs(coarse - expected).mean()  # more overlap, closer to the whole decode


def test_tiny_vae_chunked_in_time_matches_the_whole_within_tolerance(tiny_vae):
    latent = torch.randn(1, 128, 25, 2, 2, generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        expected = decode_video(tiny_vae, latent).astype(int)
        chunked = decode_video(tiny_vae, latent, Tiling(chunk=14, chunk_overlap=10)).astype(int)
    assert chunked.shape == expected.shape == (193, 64, 64, 3)
    error = np.abs(chunked - expected)
    assert error.mean() < 3 and np.percentile(error, 99) <= 16
