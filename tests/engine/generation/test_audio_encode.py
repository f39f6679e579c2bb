"""Audio conditioning trims a long upload before resampling without changing the latent it encodes."""

import numpy as np
import torch

from ltxserve.engine.generation.vae import encode_audio


def test_long_input_gives_the_latent_of_its_trimmed_prefix(tiny_engine):
    parts = tiny_engine.parts
    rng = np.random.default_rng(0)
    long = (rng.standard_normal((2, 48_000 * 30)) * 0.1).astype(np.float32)
    with torch.inference_mode():
        whole = encode_audio(parts.audio_vae, long, 48_000, 2.0, parts.mel_config)
        prefix = encode_audio(parts.audio_vae, long[:, : 48_000 * 5], 48_000, 2.0, parts.mel_config)
    assert torch.equal(whole, prefix)
