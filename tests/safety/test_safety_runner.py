"""The safety checker inside the job runner: what fails a job, how it reads, and that nothing is stored."""

import numpy as np
import pytest
from PIL import Image

from ltxserve.safety import SafetyChecker, SafetyConfig
from ltxserve.worker.engine_runner import EngineRunner
from ltxserve.worker.local import LocalContext
from ltxserve.worker.runner import JobError

T2V = "fal-ai/ltx-2.3-22b/text-to-video/lora"
A2V = "fal-ai/ltx-2.3-22b/audio-to-video"
SMALL = {
    "loras": [],
    "video_size": {"width": 128, "height": 64},
    "num_frames": 9,
    "num_inference_steps": 8,
    "seed": 2,
    "enable_prompt_expansion": False,
}
POLICY = "# test policy\nforbidden fruit\n"


@pytest.fixture
def make_runner(tiny_engine, tiny_model_dir, tmp_path):
    """A runner on the shared engine with the given safety settings and a test policy file."""
    policy_file = tmp_path / "prompt-policy.txt"
    policy_file.write_text(POLICY)

    def make(**config) -> EngineRunner:
        runner = EngineRunner(
            tiny_model_dir, safety=SafetyChecker(SafetyConfig(policy_file=policy_file, **config))
        )
        runner.engine = tiny_engine
        return runner

    return make


@pytest.fixture
def face_url(tmp_path):
    path = tmp_path / "face.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 128, 3), dtype=np.uint8)).save(path)
    return path.as_uri()


def refusal(runner, endpoint_id, payload, out):
    with pytest.raises(JobError) as info:
        runner.run(endpoint_id, payload, LocalContext(out))
    failure = info.value.failure
    assert failure.status_code == 422
    assert not failure.retryable
    assert failure.headers["X-Fal-Retryable"] == "false"
    assert not out.exists(), "a refused job must store no output"
    (detail,) = failure.body["detail"]
    assert detail["type"] == failure.error_type == "content_policy_violation"
    return detail


def test_threshold_zero_refuses_the_output_and_stores_nothing(make_runner, tmp_path):
    payload = {"prompt": "a lighthouse at dusk", **SMALL}
    detail = refusal(make_runner(nsfw_threshold=0.0), T2V, payload, tmp_path / "out.mp4")
    assert detail["ctx"] == {"check": "output"}
    assert detail["loc"] == ["body"]
    assert "generated output" in detail["msg"]
    assert "lighthouse" not in detail["msg"]


def test_an_input_image_is_refused_before_generating(make_runner, face_url, tmp_path):
    payload = {"prompt": "a singer", "audio_url": _tone(tmp_path), "image_url": face_url, **SMALL}
    runner = make_runner(nsfw_threshold=0.0)
    runner.generate = lambda request, ctx: pytest.fail("the engine ran despite a refused input")
    detail = refusal(runner, A2V, payload, tmp_path / "out.mp4")
    assert detail["ctx"] == {"check": "input_image"}
    assert detail["loc"] == ["body", "image_url"]


def test_a_policy_term_in_the_prompt_is_refused_without_echoing_it(make_runner, tmp_path):
    runner = make_runner()
    runner.generate = lambda request, ctx: pytest.fail("the engine ran despite a refused prompt")
    payload = {"prompt": "Eve picks the FORBIDDEN   fruit", **SMALL}
    detail = refusal(runner, T2V, payload, tmp_path / "out.mp4")
    assert detail["loc"] == ["body", "prompt"]
    assert detail["ctx"] == {"check": "prompt"}
    assert "forbidden" not in detail["msg"].lower()
    assert "input" not in detail


def test_checker_off_lets_everything_through(make_runner, tmp_path):
    payload = {"prompt": "forbidden fruit", **SMALL, "enable_safety_checker": False}
    out = tmp_path / "out.mp4"
    result = make_runner(nsfw_threshold=0.0).run(T2V, payload, LocalContext(out))
    assert result["prompt"] == "forbidden fruit"
    assert out.stat().st_size == result["video"]["file_size"]


def test_operators_can_force_the_checker_on(make_runner, tmp_path):
    payload = {"prompt": "forbidden fruit", **SMALL, "enable_safety_checker": False}
    detail = refusal(make_runner(force=True), T2V, payload, tmp_path / "out.mp4")
    assert detail["ctx"] == {"check": "prompt"}


def test_expansion_warnings_reach_the_job_logs(make_runner, tiny_engine, monkeypatch, tmp_path):
    class Failing:
        def expand(self, request):
            raise TimeoutError("expansion timed out after 1 s")

    monkeypatch.setattr(tiny_engine, "expander", Failing())
    logs = []
    context = LocalContext(tmp_path / "out.wav", on_log=lambda message, level: logs.append((level, message)))
    payload = {"prompt": "rain on a tin roof", "num_frames": 9, "num_inference_steps": 8}
    out = make_runner().run(
        "fal-ai/ltx-2.3-quality/text-to-audio", {**payload, "enable_prompt_expansion": True}, context
    )
    assert out["prompt"] == "rain on a tin roof"
    assert any(level == "WARN" and "original prompt" in message for level, message in logs)


def _tone(folder) -> str:
    from ltxserve.media import encode_audio

    t = np.arange(22050) / 22050
    path = folder / "tone.wav"
    encode_audio((0.3 * np.sin(2 * np.pi * 330 * t))[None].astype(np.float32), 22050, path)
    return path.as_uri()
