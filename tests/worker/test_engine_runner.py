"""All five endpoints end to end: validate → decode inputs → plan → engine → encode → output JSON."""

import json

import av
import numpy as np
import pytest
from PIL import Image

from ltxserve.media import encode_audio
from ltxserve.worker.engine_runner import EngineRunner
from ltxserve.worker.local import LocalContext
from ltxserve.worker.runner import JobError

SMALL = {"num_frames": 9}
VIDEO_SIZE = {"width": 128, "height": 64}


@pytest.fixture(scope="module")
def runner(tiny_engine, tiny_model_dir):
    runner = EngineRunner(tiny_model_dir)
    runner.engine = tiny_engine
    return runner


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    folder = tmp_path_factory.mktemp("assets")
    t = np.arange(22050) / 22050
    mono = (0.3 * np.sin(2 * np.pi * 330 * t))[None].astype(np.float32)
    encode_audio(mono, 22050, folder / "voice.wav")
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (90, 160, 3), dtype=np.uint8)).save(
        folder / "face.png"
    )
    return folder


def _run(runner, endpoint_id, payload, out):
    context = LocalContext(out)
    return runner.run(endpoint_id, payload, context)


def _probe(path):
    with av.open(str(path)) as container:
        return {s.type: s.codec_context.name for s in container.streams}


def test_text_to_audio(runner, tmp_path):
    out = _run(
        runner,
        "fal-ai/ltx-2.3-quality/text-to-audio",
        {
            "prompt": "birdsong",
            "num_frames": 24,
            "frames_per_second": 24,
            "num_inference_steps": 8,
            "seed": 3,
        },
        tmp_path / "a.wav",
    )
    audio = out["audio"]
    assert out["seed"] == 3
    assert out["prompt"] == "birdsong"
    assert audio["content_type"] == "audio/wav"
    assert audio["sample_rate"] == 48000
    assert audio["channels"] == 2
    assert audio["duration"] == pytest.approx(1.0, abs=1e-3)
    assert audio["file_size"] == (tmp_path / "a.wav").stat().st_size


def test_text_to_audio_lora_with_no_loras(runner, tmp_path):
    out = _run(
        runner,
        "fal-ai/ltx-2.3-quality/text-to-audio/lora",
        {"prompt": "rain", "loras": [], "num_frames": 12, "num_inference_steps": 8},
        tmp_path / "b.wav",
    )
    assert out["audio"]["duration"] == pytest.approx(0.5, abs=1e-3)


def test_quality_audio_to_video(runner, assets, tmp_path):
    payload = {
        "prompt": "a singer",
        "audio_url": (assets / "voice.wav").as_uri(),
        "loras": [],
        "image_url": (assets / "face.png").as_uri(),
        "resolution": VIDEO_SIZE,
        "num_inference_steps": 8,
        "match_audio_length": True,
        "frames_per_second": 24,
    }
    out = _run(runner, "fal-ai/ltx-2.3-quality/audio-to-video/lora", payload, tmp_path / "c.mp4")
    video = out["video"]
    # 1 s of audio at 24 fps → 25 frames (8k+1), two-stage at the requested size.
    assert (video["width"], video["height"], video["num_frames"]) == (128, 64, 25)
    assert _probe(tmp_path / "c.mp4") == {"video": "h264", "audio": "aac"}


def test_22b_audio_to_video_with_end_image(runner, assets, tmp_path):
    payload = {
        "prompt": "a singer",
        "audio_url": (assets / "voice.wav").as_uri(),
        "end_image_url": (assets / "face.png").as_uri(),
        "video_size": VIDEO_SIZE,
        "match_audio_length": False,
        "num_inference_steps": 8,
        "use_multiscale": False,
        **SMALL,
    }
    out = _run(runner, "fal-ai/ltx-2.3-22b/audio-to-video", payload, tmp_path / "d.mp4")
    assert out["video"]["num_frames"] == 9
    assert out["video"]["fps"] == pytest.approx(24)


def test_22b_text_to_video_webm(runner, tmp_path):
    payload = {
        "prompt": "a cowboy",
        "loras": [],
        "video_size": VIDEO_SIZE,
        "num_inference_steps": 8,
        "video_output_type": "VP9 (.webm)",
        "seed": 11,
        **SMALL,
    }
    out = _run(runner, "fal-ai/ltx-2.3-22b/text-to-video/lora", payload, tmp_path / "e.webm")
    assert out["video"]["content_type"] == "video/webm"
    assert _probe(tmp_path / "e.webm") == {"video": "vp9", "audio": "opus"}
    assert json.loads(json.dumps(out))["seed"] == 11


def test_corrupt_audio_fails_with_its_error_type(runner, tmp_path):
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"definitely not audio" * 50)
    with pytest.raises(JobError) as info:
        _run(
            runner,
            "fal-ai/ltx-2.3-22b/audio-to-video",
            {"prompt": "x", "audio_url": bad.as_uri(), **SMALL},
            tmp_path / "f.mp4",
        )
    detail = info.value.failure.body["detail"][0]
    assert detail["type"] == "unsupported_audio_format"
    assert detail["loc"] == ["body", "audio_url"]


def test_missing_lora_file_names_its_index(runner, tmp_path):
    with pytest.raises(JobError) as info:
        _run(
            runner,
            "fal-ai/ltx-2.3-22b/text-to-video/lora",
            {"prompt": "x", "loras": [{"path": (tmp_path / "none.safetensors").as_uri()}], **SMALL},
            tmp_path / "g.mp4",
        )
    assert info.value.failure.body["detail"][0]["loc"][:3] == ["body", "loras", 0]


def _decode_track(path):
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        frames = [frame.to_ndarray() for frame in container.decode(stream)]
        rate = stream.codec_context.sample_rate
    samples = np.concatenate(frames, axis=1)  # s16 planar or packed: (channels, n) or (1, n*channels)
    if samples.shape[0] == 1 and stream.codec_context.channels == 2:
        samples = samples.reshape(-1, 2).T
    return samples.astype(np.float32) / 32768.0, rate


def test_audio_to_video_at_strength_one_returns_the_users_waveform_even_preprocessed(runner, tmp_path):
    # Quiet speech-like tone with a DC offset after 0.25 s of silence: exactly what preprocessing
    # (DC removal, loudness normalisation) would change if it reached the output.
    rate = 48000
    t = np.arange(rate) / rate
    tone = 0.05 * np.sin(2 * np.pi * 440 * t) + 0.02
    tone[: rate // 4] = 0.0
    stereo = np.stack([tone, 0.5 * tone]).astype(np.float32)
    source = tmp_path / "quiet.wav"
    encode_audio(stereo, rate, source)
    payload = {
        "prompt": "a hum",
        "audio_url": source.as_uri(),
        "audio_strength": 1.0,
        "preprocess_audio": True,
        "video_output_type": "PRORES4444 (.mov)",
        "video_size": VIDEO_SIZE,
        "match_audio_length": True,
        "num_inference_steps": 8,
        "use_multiscale": False,
    }
    _run(runner, "fal-ai/ltx-2.3-22b/audio-to-video", payload, tmp_path / "out.mov")
    got, got_rate = _decode_track(tmp_path / "out.mov")
    assert got_rate == rate
    n = min(got.shape[1], stereo.shape[1])
    assert n >= rate * 0.95  # 1 s of audio → 25 frames at 24 fps ≈ 1.04 s; the track covers the input
    # Unchanged to within 16-bit quantisation: same gain, same DC, the first 250 ms still there.
    np.testing.assert_allclose(got[:, :n], stereo[:, :n], atol=2 / 32768)
