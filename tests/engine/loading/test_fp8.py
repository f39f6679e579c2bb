"""Lightricks' fp8 checkpoint layout: the tiny writer's `--fp8` file, loaded and compared with bf16, LoRAs on it."""

import json

import numpy as np
import pytest
import torch
from safetensors import safe_open
from typer.testing import CliRunner

from ltxserve.cli import app
from ltxserve.engine.generation.pipeline import Engine
from ltxserve.engine.loading.fp8 import dequantise, is_quantised_layer
from ltxserve.testing.requests import guided_request

REQUEST = guided_request(
    seed=5, use_multiscale=True, distill_lora_scales=(0.2, 0.5)
)  # the distilled LoRA on every attention projection


@pytest.fixture(scope="module")
def fp8_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-fp8")
    result = CliRunner().invoke(app, ["models", "make-tiny", str(folder), "--fp8"])
    assert result.exit_code == 0, result.output
    return folder


def test_fp8_file_has_the_official_layout(fp8_dir):
    with safe_open(str(fp8_dir / "ltx-2.3-tiny-fp8.safetensors"), framework="pt") as f:
        keys = set(f.keys())
        key = "model.diffusion_model.transformer_blocks.1.attn1.to_q.weight"
        assert f.get_tensor(key).dtype == torch.float8_e4m3fn
        assert f.get_tensor(key.replace(".weight", ".weight_scale")).shape == ()
        assert key.replace(".weight", ".input_scale") in keys
        # Block 0 (as the reference's blocks 0 and 43-47), biases and norms stay bf16.
        assert f.get_tensor(key.replace("blocks.1", "blocks.0")).dtype == torch.bfloat16
        assert f.get_tensor(key.replace(".weight", ".bias")).dtype == torch.bfloat16
        assert json.loads(f.metadata()["config"])["transformer"]["num_layers"] == 2
    assert is_quantised_layer("model.diffusion_model.transformer_blocks.7.ff.net.2.weight")
    assert not is_quantised_layer("model.diffusion_model.transformer_blocks.44.ff.net.2.weight")
    assert not is_quantised_layer("model.diffusion_model.proj_out.weight")


def test_dequantise_applies_the_scale():
    weight = torch.tensor([[1.0, -2.0]]).to(torch.float8_e4m3fn)
    out = dequantise(
        {"a.weight": weight, "a.weight_scale": torch.tensor(0.5), "a.input_scale": torch.ones(())},
        torch.float32,
    )
    assert list(out) == ["a.weight"] and out["a.weight"].tolist() == [[0.5, -1.0]]


@pytest.fixture(scope="module")
def results(fp8_dir, tiny_model_dir, tiny_engine):
    fp8 = Engine.load(fp8_dir)
    low = Engine.load(fp8_dir, profile="low")
    return tiny_engine.generate(REQUEST), fp8.generate(REQUEST), low.generate(REQUEST)


def test_fp8_checkpoint_matches_bf16_within_tolerance_with_loras(results):
    bf16, fp8, _ = results
    frames = np.abs(fp8.frames.astype(int) - bf16.frames.astype(int))
    audio = np.abs(fp8.waveform - bf16.waveform)
    # e4m3 keeps 3 mantissa bits: per-weight error ≤ 6 %, on the tiny model's O(1) random weights.
    assert frames.mean() < 4 and audio.mean() < 0.02
    assert not np.array_equal(fp8.frames, bf16.frames)  # the fp8 file was really read


def test_fp8_checkpoint_under_fp8_storage_runs_with_the_distilled_lora(results):
    bf16, _, low = results
    assert low.frames.shape == bf16.frames.shape and np.isfinite(low.waveform).all()
    assert np.abs(low.frames.astype(int) - bf16.frames.astype(int)).mean() < 4
