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
    assert output["seed"] == 5
    assert output["video"]["num_frames"] == 9
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
    assert result.exit_code == 2
    assert "unknown endpoint" in result.output


def test_make_tiny_writes_a_loadable_model(tmp_path):
    result = cli.invoke(app, ["models", "make-tiny", str(tmp_path / "tiny"), "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tiny" / "gemma").is_dir()


def test_missing_model_folder_is_one_clear_line(tmp_path):
    missing = tmp_path / "models" / "ltx-2.3"
    result = cli.invoke(
        app,
        [
            "generate",
            "fal-ai/ltx-2.3-quality/text-to-audio",
            "--model",
            str(missing),
            "--prompt",
            "a",
            "--out",
            str(tmp_path / "a.wav"),
        ],
    )
    assert result.exit_code == 2
    assert "no such folder" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_folder_without_a_model_is_one_clear_line(tmp_path):
    result = cli.invoke(
        app,
        [
            "generate",
            "fal-ai/ltx-2.3-quality/text-to-audio",
            "--model",
            str(tmp_path),
            "--prompt",
            "a",
            "--out",
            str(tmp_path / "a.wav"),
        ],
    )
    assert result.exit_code == 2
    assert "cannot load the model" in result.output
    assert "Traceback" not in result.output


def test_out_must_match_what_the_endpoint_writes(tiny_model_dir, tmp_path):
    for endpoint, out, expected in (
        ("fal-ai/ltx-2.3-quality/text-to-audio", "a.mp4", "*.wav"),
        ("fal-ai/ltx-2.3-22b/text-to-video/lora", "v.wav", "*.mp4"),
    ):
        result = cli.invoke(
            app,
            [
                "generate",
                endpoint,
                "--model",
                str(tiny_model_dir),
                "--prompt",
                "a",
                "--out",
                str(tmp_path / out),
            ],
        )
        assert result.exit_code == 2
        assert expected in result.output
        assert not (tmp_path / out).exists()


def test_text_to_audio_logs_seconds_not_a_video_size(tiny_model_dir, tmp_path):
    out = tmp_path / "bell.wav"
    result = cli.invoke(
        app,
        [
            "generate",
            "fal-ai/ltx-2.3-quality/text-to-audio",
            "--model",
            str(tiny_model_dir),
            "--prompt",
            "a bell",
            "--set",
            "num_frames=25",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "s of audio" in result.output
    assert "frames at" not in result.output
    assert out.read_bytes()[:4] == b"RIFF"
