"""`benchmarks/gpu_check.py --smoke`: every section runs on the CPU, so the GPU check cannot rot."""

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"
SECTIONS = {
    "environment",
    "build",
    "stage1",
    "stage2",
    "predicted",
    "syncs",
    "attention",
    "memory",
    "lora",
    "vae",
    "long_step",
    "compiled",
}


def test_gpu_check_smoke_runs_every_section_and_writes_its_json(tmp_path):
    run = subprocess.run(
        [sys.executable, "gpu_check.py", "--smoke", "--out", str(tmp_path)],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    sections = report["sections"]
    assert set(sections) == SECTIONS
    assert "finished" in report
    assert all(s["status"] == "ok" for s in sections.values()), {
        n: s for n, s in sections.items() if s["status"] != "ok"
    }
    assert sections["stage1"]["passes"] == 4
    assert sections["stage1"]["s_per_step"] > 0
    assert sections["stage1"]["tflop_per_step"] > 0
    assert sections["stage2"]["passes"] == 1
    assert sections["syncs"]["per_step"]["host_syncs"] == 0
    assert sections["lora"]["first (takes the host backup)"]["fused"] is True
    assert set(sections["vae"]) >= {"9_frames_untiled", "9_frames_tiled", "25_frames_tiled"}
    text_to_video = sections["predicted"]["endpoints"]["fal-ai/ltx-2.3-22b/text-to-video/lora"]
    assert text_to_video["tflop"]["stage1"] > 0
    assert text_to_video["seconds"]["total"] > 0


def test_a_failing_section_is_recorded_and_the_rest_still_run(tmp_path, monkeypatch):
    # The benchmark scripts import their siblings (flops_model, gpu_model) as top-level modules.
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import gpu_check

    def broken(ctx):
        raise RuntimeError("kernel exploded")

    sections = [
        (n, broken if n == "build" else f, e)
        for n, f, e in gpu_check.SECTIONS
        if n in {"environment", "build", "stage1", "predicted"}
    ]
    monkeypatch.setattr(gpu_check, "SECTIONS", tuple(sections))
    assert gpu_check.main(["--smoke", "--out", str(tmp_path)]) == 1
    report = json.loads((tmp_path / "gpu_check.json").read_text())["sections"]
    assert report["build"]["status"] == "error"
    assert "kernel exploded" in report["build"]["error"]
    assert report["stage1"]["status"] == "skipped"  # needs the model the build section failed to make
    assert report["environment"]["status"] == "ok"
    assert report["predicted"]["status"] == "ok"
