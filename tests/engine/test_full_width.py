"""The real widths on the CPU: a checkpoint with the published 22B configuration (4096/2048 streams, 32 heads,
the real VAE, vocoder and upsampler, full-width connectors) but 2 transformer blocks and 1 connector layer,
written in the official layout, loaded by the normal loader (bf16) and run for one denoising step at a small
token count under every memory profile."""

import gc

import numpy as np
import pytest
import torch

from ltxserve.engine.memory import transformer_activation
from ltxserve.engine.memory_probe import peak_bytes
from ltxserve.engine.model_sizes import model_dir_sizes
from ltxserve.engine.pipeline import Engine
from ltxserve.engine.preset import LTX23_UPSAMPLER_CONFIG
from ltxserve.engine.request import EngineRequest, Guidance
from ltxserve.engine.tiny import write_tiny_model
from ltxserve.engine.tiny_config import full_width_config

pytestmark = pytest.mark.timeout(900)
REQUEST = EngineRequest(
    mode="text_to_video",
    prompt="a fox in the snow",
    negative_prompt="blurry",
    width=64,
    height=64,
    num_frames=9,  # 2×2×2 video tokens, 9 audio tokens
    num_inference_steps=1,
    video_guidance=Guidance(3.0, 1.0, 0.7, 3.0),  # all four passes in one batched forward
    audio_guidance=Guidance(7.0, 1.0, 0.7, 3.0),
    seed=1,
)


@pytest.fixture(scope="module")
def full_width_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("full-width")
    config = full_width_config(blocks=2, connector_layers=1)
    return write_tiny_model(folder, config=config, upsampler_config=LTX23_UPSAMPLER_CONFIG, fast=True)


def test_full_width_model_runs_under_every_profile(full_width_dir):
    sizes = model_dir_sizes(full_width_dir)
    assert (sizes.video_width, sizes.audio_width, sizes.num_blocks) == (4096, 2048, 2)
    frames = {}
    for profile in ("resident", "balanced", "low", "minimal"):
        engine = Engine.load(full_width_dir, dtype=torch.bfloat16, profile=profile)
        transformer = engine.parts.transformer
        assert transformer.transformer_blocks[0].attn1.to_q.in_features == 4096
        with torch.inference_mode():
            result, _ = peak_bytes(lambda engine=engine: engine.generate(REQUEST))
        assert result.frames.shape == (9, 64, 64, 3) and np.isfinite(result.waveform).all()
        frames[profile] = result.frames
        del engine, transformer
        gc.collect()
    assert np.array_equal(frames["balanced"], frames["resident"])


def test_full_width_transformer_activation_matches_the_model(full_width_dir):
    engine = Engine.load(full_width_dir, dtype=torch.bfloat16)
    transformer = engine.parts.transformer
    passes, frames, side, audio, context = 2, 3, 8, 16, 32
    tokens = frames * side * side
    args = dict(
        hidden_states=torch.randn(passes, tokens, 128, dtype=torch.bfloat16),
        audio_hidden_states=torch.randn(passes, audio, 128, dtype=torch.bfloat16),
        encoder_hidden_states=torch.randn(passes, context, 4096, dtype=torch.bfloat16),
        audio_encoder_hidden_states=torch.randn(passes, context, 2048, dtype=torch.bfloat16),
        timestep=torch.full((passes, tokens), 500.0),
        audio_timestep=torch.full((passes, audio), 500.0),
        sigma=torch.full((passes,), 500.0),
        audio_sigma=torch.full((passes,), 500.0),
        encoder_attention_mask=torch.ones(passes, context),
        audio_encoder_attention_mask=torch.ones(passes, context),
        fps=24.0,
        video_coords=transformer.rope.prepare_video_coords(
            passes, frames, side, side, torch.device("cpu"), fps=24.0
        ),
        audio_coords=transformer.audio_rope.prepare_audio_coords(passes, audio, torch.device("cpu")),
        use_cross_timestep=True,
        return_dict=False,
    )
    with torch.inference_mode():
        _, measured = peak_bytes(lambda: transformer(**args))
    predicted = transformer_activation(model_dir_sizes(full_width_dir), passes, tokens, audio, 2, context)
    # bf16 on the CPU keeps some intermediates (RoPE tables, timestep embeddings) in float32.
    assert 0.7 * measured <= predicted <= 1.3 * measured, (measured, predicted)
