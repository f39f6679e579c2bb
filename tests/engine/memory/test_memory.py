"""The memory model: real-size predictions from the preset, and tiny-model predictions checked against the
peaks PyTorch's CPU allocator actually reaches (engine.memory.probe)."""

import json

import pytest
import torch
from typer.testing import CliRunner

from ltxserve.cli import app
from ltxserve.engine.geometry import AudioShape, VideoShape
from ltxserve.engine.memory import peaks as memory
from ltxserve.engine.memory.peaks import GIB, RequestShape, predict_peaks
from ltxserve.engine.memory.probe import peak_bytes
from ltxserve.engine.memory.profiles import PROFILES
from ltxserve.engine.memory.sizes import model_dir_sizes, preset_sizes
from ltxserve.testing.transformer import transformer_inputs


def test_preset_sizes_are_the_published_22b_model():
    sizes = preset_sizes("ltx-2.3-22b")
    bf16 = {name: getattr(sizes, name) * 2 / GIB for name in ("transformer", "connectors", "text_encoder")}
    assert bf16["transformer"] == pytest.approx(35.4, abs=0.1)
    assert bf16["connectors"] == pytest.approx(5.9, abs=0.1)
    assert bf16["text_encoder"] == pytest.approx(22.7, abs=0.1)
    assert sizes.decoders * 2 / GIB == pytest.approx(1.8, abs=0.1)  # both VAEs, vocoder, ×2 upsampler
    assert sizes.distilled_lora * 2 / GIB == pytest.approx(7.5, abs=0.1)  # rank 384
    assert (sizes.num_blocks, sizes.video_width, sizes.audio_width) == (48, 4096, 2048)


def fit(*args: str) -> dict:
    result = CliRunner().invoke(app, ["models", "fit", "--preset", "ltx-2.3-22b", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_models_fit_picks_a_plan_under_80_and_24_gib():
    big = fit("--gpu-memory", "80")
    assert big["fits"]
    assert big["peak_gib"] < 80
    assert big["profile"] == "balanced"
    assert set(big["stages"]) >= {"text", "stage1", "upsample", "refine", "decode_video", "decode_audio"}
    assert big["peak_gib"] == max(big["stages"].values())
    small = fit("--gpu-memory", "24")
    assert small["fits"]
    assert small["peak_gib"] < 24
    assert small["profile"] == "minimal"
    assert fit("--gpu-memory", "141")["profile"] == "resident"


def test_models_fit_reports_a_forced_profile_that_does_not_fit(tmp_path):
    forced = fit("--gpu-memory", "24", "--profile", "resident")
    assert forced["profile"] == "resident"
    assert forced["fits"] is False
    assert forced["peak_gib"] > 24
    long = tmp_path / "long.json"
    long.write_text(json.dumps({"prompt": "x", "num_frames": 481}))
    assert fit("--gpu-memory", "24", "--input", str(long))["fits"] is False


def test_models_fit_refuses_bad_input(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"prompt": "x", "num_frames": 5000}))
    result = CliRunner().invoke(
        app, ["models", "fit", "--preset", "ltx-2.3-22b", "--gpu-memory", "80", "--input", str(bad)]
    )
    assert result.exit_code == 2
    assert "num_frames" in result.output


def test_frugal_profiles_need_less_for_every_stage_at_real_size():
    sizes = preset_sizes("ltx-2.3-22b")
    shape = RequestShape(1280, 704, 121, two_stage=True, passes=4, distilled_lora=True, expansion=True)
    peaks = [predict_peaks(sizes, shape, profile).peak for profile in PROFILES]
    assert peaks == sorted(peaks, reverse=True)
    whole = predict_peaks(sizes, RequestShape(1280, 704, 481), "resident").stages["decode_video"]
    tiled = predict_peaks(sizes, RequestShape(1280, 704, 481), "balanced").stages["decode_video"]
    assert whole - tiled > 20 * GIB  # untiled decode at 481 frames is what sinks an 80 GB card


# --- measured on the tiny model (float32 on the CPU) ------------------------------------------------


@pytest.fixture(scope="module")
def tiny_sizes(tiny_model_dir):
    return model_dir_sizes(tiny_model_dir)


def within(measured: int, predicted: int, tolerance: float) -> bool:
    return abs(predicted - measured) <= tolerance * measured


def test_tiny_weights_on_the_device_are_predicted_exactly(tiny_engine, tiny_sizes):
    parts = tiny_engine.parts
    counted = {
        "transformer": parts.transformer,
        "connectors": parts.connectors,
        "video_vae": parts.video_vae,
        "audio_vae": parts.audio_vae,
        "vocoder": parts.vocoder,
        "upsampler": parts.upsampler,
        "text_encoder": parts.language_model,
    }
    for name, module in counted.items():
        assert getattr(tiny_sizes, name) == sum(p.numel() for p in module.parameters()), name


@pytest.mark.parametrize(("passes", "frames", "side"), [(1, 17, 128), (4, 33, 256)])
def test_tiny_transformer_activation_matches_the_measured_peak(tiny_engine, tiny_sizes, passes, frames, side):
    transformer = tiny_engine.parts.transformer
    scales = tiny_engine.parts.scales
    video = VideoShape.for_pixels(128, frames, side, side, scales)
    audio = AudioShape.for_duration(8, 16, frames / 24, scales)
    vt, at = video.frames * video.height * video.width, audio.frames
    context = 64
    args = transformer_inputs(transformer, passes, (video.frames, video.height, video.width), at, context)
    with torch.inference_mode():
        _, measured = peak_bytes(lambda: transformer(**args))
    predicted = memory.transformer_activation(tiny_sizes, passes, vt, at, 4, context)
    assert within(measured, predicted, 0.15), (measured, predicted)


def test_tiny_video_decode_matches_the_measured_peak(tiny_engine, tiny_sizes):
    from ltxserve.engine.generation.vae import decode_video

    latent = torch.randn(1, 128, 3, 4, 6)  # 17 frames of 128×192
    with torch.inference_mode():
        _, measured = peak_bytes(lambda: decode_video(tiny_engine.parts.video_vae, latent))
    predicted = memory.video_decode_activation(tiny_sizes, RequestShape(192, 128, 17), False, 4)
    assert within(measured, predicted, 0.25), (measured, predicted)


def test_tiny_audio_decode_and_upsample_match_the_measured_peaks(tiny_engine, tiny_sizes):
    from ltxserve.engine.generation.upsample import upsample_video_tokens
    from ltxserve.engine.generation.vae import decode_audio

    parts = tiny_engine.parts
    shape = RequestShape(256, 128, 25, fps=12.5)  # 2 s; stage 1 at 128×64
    with torch.inference_mode():
        latent = torch.randn(1, 8, 50, 16)
        _, audio = peak_bytes(lambda: decode_audio(parts.audio_vae, parts.vocoder, latent))
        small = torch.randn(1, 128, 4, 2, 4)
        _, upsample = peak_bytes(lambda: upsample_video_tokens(parts, small))
    assert within(audio, memory.audio_decode_activation(tiny_sizes, shape, 4), 0.3), audio
    assert within(upsample, memory.upsample_activation(tiny_sizes, shape, 4), 0.3), upsample
