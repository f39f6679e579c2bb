"""`ltxserve generate`, `models make-tiny` and the server commands' options as a user runs them."""

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from ltxserve.cli import app

cli = CliRunner()


def generate(endpoint: str, model: Path, prompt: str, out: Path, *settings: str) -> Result:
    """`ltxserve generate ENDPOINT --model MODEL --prompt PROMPT [--set name=value ...] --out OUT`."""
    sets = [arg for setting in settings for arg in ("--set", setting)]
    args = ["generate", endpoint, "--model", str(model), "--prompt", prompt, *sets, "--out", str(out)]
    return cli.invoke(app, args)


def test_generate_writes_the_video_and_prints_the_output_json(tiny_model_dir, tmp_path):
    out = tmp_path / "clip.mp4"
    result = generate(
        "fal-ai/ltx-2.3-22b/text-to-video/lora",
        tiny_model_dir,
        "a lighthouse",
        out,
        "num_frames=9",
        'video_size={"width":128,"height":64}',
        "num_inference_steps=8",
        "seed=5",
    )
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout[result.stdout.index("{") :])
    assert output["seed"] == 5
    assert output["video"]["num_frames"] == 9
    assert out.stat().st_size == output["video"]["file_size"]


def test_generate_rejects_bad_input_naming_the_field(tiny_model_dir, tmp_path):
    out = tmp_path / "x.mp4"
    result = generate("fal-ai/ltx-2.3-22b/text-to-video/lora", tiny_model_dir, "x", out, "scheduler=karras")
    assert result.exit_code == 2
    assert "scheduler" in result.output
    assert not out.exists()


def test_generate_rejects_an_unknown_endpoint(tiny_model_dir, tmp_path):
    result = generate("fal-ai/flux/dev", tiny_model_dir, "x", tmp_path / "x.mp4")
    assert result.exit_code == 2
    assert "unknown endpoint" in result.output


def test_make_tiny_writes_a_loadable_model(tmp_path):
    result = cli.invoke(app, ["models", "make-tiny", str(tmp_path / "tiny"), "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tiny" / "gemma").is_dir()


def test_missing_model_folder_is_one_clear_line(tmp_path):
    missing = tmp_path / "models" / "ltx-2.3"
    result = generate("fal-ai/ltx-2.3-quality/text-to-audio", missing, "a", tmp_path / "a.wav")
    assert result.exit_code == 2
    assert "no such folder" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_folder_without_a_model_is_one_clear_line(tmp_path):
    result = generate("fal-ai/ltx-2.3-quality/text-to-audio", tmp_path, "a", tmp_path / "a.wav")
    assert result.exit_code == 2
    assert "cannot load the model" in result.output
    assert "Traceback" not in result.output


def test_out_must_match_what_the_endpoint_writes(tiny_model_dir, tmp_path):
    for endpoint, out, expected in (
        ("fal-ai/ltx-2.3-quality/text-to-audio", "a.mp4", "*.wav"),
        ("fal-ai/ltx-2.3-22b/text-to-video/lora", "v.wav", "*.mp4"),
    ):
        result = generate(endpoint, tiny_model_dir, "a", tmp_path / out)
        assert result.exit_code == 2
        assert expected in result.output
        assert not (tmp_path / out).exists()


def test_text_to_audio_logs_seconds_not_a_video_size(tiny_model_dir, tmp_path):
    out = tmp_path / "bell.wav"
    result = generate("fal-ai/ltx-2.3-quality/text-to-audio", tiny_model_dir, "a bell", out, "num_frames=25")
    assert result.exit_code == 0, result.output
    assert "s of audio" in result.output
    assert "frames at" not in result.output
    assert out.read_bytes()[:4] == b"RIFF"


@pytest.mark.parametrize("command", ["serve", "api"])
def test_serve_and_api_take_the_same_http_options(command, tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(f"ltxserve.serving.commands.run_{command}", started.append)
    keys = tmp_path / "keys.txt"
    keys.write_text("a-long-random-test-key-0123456789abcdef\n")
    flags = {
        "--host": "0.0.0.0",
        "--port": "9001",
        "--data-dir": str(tmp_path),
        "--api-keys-file": str(keys),
        "--public-url": "https://video.example.com",
        "--tls-cert": "c.pem",
        "--tls-key": "k.pem",
    }
    result = cli.invoke(app, [command, *(arg for pair in flags.items() for arg in pair), "--insecure"])
    assert result.exit_code == 0, result.output
    [settings] = started
    assert (settings.host, settings.port, settings.data_dir) == ("0.0.0.0", 9001, tmp_path)
    assert settings.api_keys_file == keys
    assert settings.public_url == "https://video.example.com"
    assert settings.insecure
    assert (settings.tls_cert, settings.tls_key) == (Path("c.pem"), Path("k.pem"))


def test_serve_passes_its_own_options_with_the_http_ones(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr("ltxserve.serving.commands.run_serve", started.append)
    args = ["serve", "--model", str(tmp_path), "--workers", "3", "--memory", "low", "--port", "9002"]
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    [settings] = started
    assert (settings.model_dir, settings.workers, settings.memory) == (tmp_path, 3, "low")
    assert settings.port == 9002
    assert settings.host == "127.0.0.1"  # an option not given keeps the default
