"""A worker's memory plan (device, dtype, profile) and the out-of-memory retry, on the CPU."""

import json

import pytest
import torch

from ltxserve.engine.memory.peaks import GIB
from ltxserve.engine.memory.sizes import preset_sizes
from ltxserve.jobs.store import JobStore
from ltxserve.worker import memory_plan
from ltxserve.worker.engine_runner import EngineRunner
from ltxserve.worker.local import LocalContext
from ltxserve.worker.runner import JobError

REQUEST = {"prompt": "a fox", "num_frames": 9, "video_size": {"width": 64, "height": 64}, "loras": []}
REQUEST |= {"num_inference_steps": 8, "use_multiscale": False, "enable_prompt_expansion": False}
ENDPOINT = "fal-ai/ltx-2.3-22b/text-to-video/lora"


@pytest.fixture
def real_size(monkeypatch):
    """Plan as if the folder held the real 22B model."""
    monkeypatch.setattr("ltxserve.engine.memory.sizes.model_dir_sizes", lambda _: preset_sizes("ltx-2.3-22b"))


def test_auto_device_is_the_cpu_without_a_gpu_and_bf16_only_on_cuda():
    assert memory_plan.resolve_device("auto") == "cpu"  # this machine has no CUDA device
    assert memory_plan.resolve_dtype("auto", "cuda:0") == "bfloat16"
    assert memory_plan.resolve_dtype("auto", "cpu") == "float32"
    assert memory_plan.resolve_dtype("float16", "cuda:0") == "float16"


def test_a_real_size_model_is_refused_on_the_cpu_with_the_ram_it_needs(real_size, tmp_path):
    with pytest.raises(memory_plan.MemoryPlanError, match=r"≈ \d+ GiB of RAM.*LTXSERVE_ALLOW_CPU"):
        memory_plan.plan_memory(tmp_path, "cpu")
    forced = memory_plan.plan_memory(tmp_path, "cpu", allow_cpu=True)
    assert forced.profile == "resident" and forced.dtype == "float32"


@pytest.mark.parametrize(
    ("free_gib", "profile"), [(141, "resident"), (80, "balanced"), (48, "low"), (24, "minimal")]
)
def test_auto_picks_the_fastest_profile_that_fits_the_free_memory(
    real_size, monkeypatch, tmp_path, free_gib, profile
):
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (free_gib * GIB, 141 * GIB))
    plan = memory_plan.plan_memory(tmp_path, "cuda:0")
    assert (plan.profile, plan.dtype) == (profile, "bfloat16")
    assert plan.peak_bytes < free_gib * GIB
    assert plan.to_json()["placement"]["video_decode"] == ("whole" if profile == "resident" else "tiled")


def test_a_forced_profile_is_kept(real_size, monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (141 * GIB, 141 * GIB))
    assert memory_plan.plan_memory(tmp_path, "cuda:0", memory="minimal").profile == "minimal"


@pytest.fixture
def runner(tiny_model_dir):
    return EngineRunner(tiny_model_dir, memory="auto")


def oom_once(runner, times: int):
    """Make the next `times` generations fail as CUDA does when memory runs out."""
    calls = {"n": 0}
    real = type(runner.engine).generate

    def failing(engine, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= times:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(engine, *args, **kwargs)

    return failing


def test_out_of_memory_retries_once_under_a_more_frugal_profile(runner, monkeypatch, tmp_path):
    runner.load()
    assert runner.memory_plan.profile == "resident"
    monkeypatch.setattr(type(runner.engine), "generate", oom_once(runner, 1))
    context = LocalContext(tmp_path / "out.mp4")
    output = runner.run(ENDPOINT, REQUEST, context)
    assert output["video"]["file_name"].endswith(".mp4")
    assert runner.memory_plan.profile == "balanced"  # the worker stays on the plan that worked
    assert runner.engine.placement.placement.profile == "balanced"


def test_out_of_memory_twice_fails_the_job_naming_the_size_fields(runner, monkeypatch, tmp_path):
    runner.load()
    monkeypatch.setattr(type(runner.engine), "generate", oom_once(runner, 2))
    with pytest.raises(JobError) as caught:
        runner.run(ENDPOINT, REQUEST, LocalContext(tmp_path / "out.mp4"))
    detail = caught.value.failure.body["detail"]
    assert [item["loc"] for item in detail] == [["body", "num_frames"], ["body", "video_size"]]
    assert caught.value.failure.status_code == 422 and "out of GPU memory" in detail[0]["msg"]
    monkeypatch.undo()
    output = runner.run(ENDPOINT, REQUEST, LocalContext(tmp_path / "again.mp4"))  # the worker goes on
    assert output["video"]["file_name"].endswith(".mp4")


def test_the_plan_is_shown_in_health(tmp_path, runner):
    runner.load()
    store = JobStore(tmp_path / "jobs.sqlite3")
    plan = runner.memory_plan.to_json()
    store.worker_state("w1", 1, runner.memory_plan.device, "ready", None, memory_plan=plan)
    (worker,) = store.workers()
    assert worker["memory_plan"]["profile"] == "resident"
    assert json.dumps(worker["memory_plan"])  # plain data


def test_a_distilled_checkpoint_serves_only_the_distilled_family(tiny_distilled_dir, tiny_model_dir):
    from ltxserve.endpoints import ENDPOINTS
    from ltxserve.settings import Settings
    from ltxserve.worker.capabilities import served_endpoints

    settings = Settings()
    distilled = served_endpoints(EngineRunner(tiny_distilled_dir), settings)
    dev = served_endpoints(EngineRunner(tiny_model_dir), settings)
    assert dev == frozenset(ENDPOINTS)
    assert distilled == frozenset(i for i in ENDPOINTS if i.startswith("fal-ai/ltx-2.3-22b/distilled/"))
    assert len(distilled) == 6
