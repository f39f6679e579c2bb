"""Placement profiles applied to the tiny model on the CPU: what lives where, and what it does to outputs."""

import numpy as np
import pytest
import torch

from ltxserve.engine.adapters.fuse import is_offloaded
from ltxserve.engine.generation.pipeline import Engine
from ltxserve.testing.requests import guided_request

REQUEST = guided_request(seed=3, use_multiscale=True, distill_lora_scales=(0.2, 0.5))


@pytest.fixture(scope="module")
def outputs(tiny_model_dir):
    engines = {p: Engine.load(tiny_model_dir, profile=p) for p in ("resident", "balanced", "low", "minimal")}
    return engines, {p: engine.generate(REQUEST) for p, engine in engines.items()}


def test_balanced_keeps_outputs_bit_identical(outputs):
    _, results = outputs
    assert np.array_equal(results["balanced"].frames, results["resident"].frames)
    assert np.array_equal(results["balanced"].waveform, results["resident"].waveform)


@pytest.mark.parametrize("profile", ["low", "minimal"])
def test_fp8_profiles_stay_close_to_bf16_weights(outputs, profile):
    engines, results = outputs
    frames = np.abs(results[profile].frames.astype(int) - results["resident"].frames.astype(int))
    audio = np.abs(results[profile].waveform - results["resident"].waveform)
    # Tolerance for fp8 (e4m3) weight storage on the tiny model's O(1) random weights (docs/memory.md).
    assert frames.mean() < 4 and audio.mean() < 0.02
    block = engines[profile].parts.transformer.transformer_blocks[0]
    assert block.attn1.to_q.weight.dtype == torch.float8_e4m3fn  # stored in fp8 between forwards
    assert block.norm1.__class__.__name__ == "RMSNorm"  # norms keep their precision


def test_only_minimal_streams_the_transformer(outputs):
    engines, _ = outputs
    assert [is_offloaded(engines[p].parts.transformer) for p in ("resident", "low", "minimal")] == [
        False,
        False,
        True,
    ]
    assert engines["minimal"].parts.device == torch.device("cpu")


def test_non_resident_profiles_keep_the_text_encoder_at_home(outputs):
    engines, _ = outputs
    assert not engines["resident"].placement.text_homes
    assert len(engines["balanced"].placement.text_homes) == 2  # Gemma and the connectors
    assert engines["low"].placement.transformer_home is not None
    described = engines["minimal"].placement.describe()
    assert described["profile"] == "minimal" and "float8" in described["text_encoder"]
