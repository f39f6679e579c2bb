"""The official JavaScript `@fal-ai/client` (1.10.0), unmodified, against a live server: every flow."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ..fake_inputs import INPUTS
from .live_server import KEY, LiveServer

pytestmark = pytest.mark.timeout(180)
JS_DIR = Path(__file__).parent / "js"


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None or not (JS_DIR / "node_modules" / "@fal-ai" / "client").is_dir():
        pytest.fail("needs Node.js and `npm ci` in tests/clients/js (scripts/test installs the packages)")
    return path


@pytest.mark.parametrize("mode", ["fetch", "proxy", "middleware"])
def test_js_client_flows(node: str, mode: str, live_server: LiveServer, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps(INPUTS))
    env = {**os.environ, "LTXSERVE_URL": live_server.base_url, "FAL_KEY": KEY}
    run = subprocess.run(
        [node, "flows.mjs", mode, str(inputs)],
        cwd=JS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["ok"]
    assert set(summary["endpoints"]) == set(INPUTS)
