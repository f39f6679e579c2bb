"""`benchmarks/bench_full_width.py` in CI (issue 9's full-width check): the published 22B widths with 2 blocks,
written in the official layout, loaded by the normal loader and run for one step under every memory profile.

About 5 GB on disk and 3 minutes on 2 cores: the one test that proves nothing breaks at real width.
"""

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"
PROFILES = ("resident", "balanced", "low", "minimal")


def test_every_profile_runs_a_step_at_full_width(tmp_path):
    run = subprocess.run(
        [sys.executable, "bench_full_width.py", "--dir", str(tmp_path / "full-width")],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    lines = run.stdout.splitlines()
    for profile in PROFILES:
        rows = [line for line in lines if line.startswith(profile)]
        assert rows, f"no result line for {profile}"
        assert rows[0].endswith("ok=True"), rows[0]
    assert "balanced output identical to resident: True" in lines
