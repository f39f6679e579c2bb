"""`ltxserve generate` and `ltxserve models make-tiny` as a user runs them."""

import json

from typer.testing import CliRunner

from ltxserve.cli import app

cli = CliRunner()


def test_generate_writes_the_video_and_prints_the_output_json(tiny_model_dir, tmp_path):
    out = tmp_path / "clip.mp4"
    result = cli.invoke(
        app,
        [
            "generate",
            "fal-ai/ltx-2.3-22b/text-to-video/lora",
            "--model",
            str(tiny_model_dir),
            "--prompt",
            "a lighthouse",
            "--set",
            "num_frames=9",
            "--set",
            'video_size={"width":128,"height":64}',
            "--set",
            "num_inference_steps=8",
            "--set",
            "seed=5",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout[result.stdout.index("{") :])
    assert output["seed"] == 5 and output["video"]["num_frames"] == 9
    assert out.stat().st_size == output["video"]["file_size"]


def test_generate_rejects_bad_input_naming_the_field(tiny_model_dir, tmp_path):
    result = cli.invoke(
        app,
        [
            "generate",
            "fal-ai/ltx-2.3-22b/text-to-video/lora",
            "--model",
            str(tiny_model_dir),
            "--prompt",
            "x",
            "--set",
            "scheduler=karras",
            "--out",
            str(tmp_path / "x.mp4"),
        ],
    )
    assert result.exit_code == 2
    assert "scheduler" in result.output
    assert not (tmp_path / "x.mp4").exists()


def test_generate_rejects_an_unknown_endpoint(tiny_model_dir, tmp_path):
    result = cli.invoke(
        app,
        [
            "generate",
            "fal-ai/flux/dev",
            "--model",
            str(tiny_model_dir),
            "--prompt",
            "x",
            "--out",
            str(tmp_path / "x.mp4"),
        ],
    )
    assert result.exit_code == 2 and "unknown endpoint" in result.output


def test_make_tiny_writes_a_loadable_model(tmp_path):
    result = cli.invoke(app, ["models", "make-tiny", str(tmp_path / "tiny"), "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tiny" / "gemma").is_dir()
