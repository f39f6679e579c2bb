"""`serve --tls`: the seeds' Python examples run unchanged with the official `fal-client` 1.0.3 in a fresh
process whose only configuration is the environment (FAL_RUN_HOST, FAL_QUEUE_RUN_HOST, FAL_KEY,
SSL_CERT_FILE), covering run, queue (subscribe), status, result and cancel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .live_server import KEY, LiveServer, start_server, stop_server

pytestmark = pytest.mark.timeout(180)

# Verbatim from the seed of fal-ai/ltx-2.3-quality/text-to-audio (its "Python" section).
SEED_EXAMPLE = """
import fal_client

def on_queue_update(update):
    if isinstance(update, fal_client.InProgress):
        for log in update.logs:
           print(log["message"])

result = fal_client.subscribe(
    "fal-ai/ltx-2.3-quality/text-to-audio",
    arguments={
        "prompt": "A woman says: 'Oh, what a lovely day we are having!' Natural speech, clean studio audio."
    },
    with_logs=True,
    on_queue_update=on_queue_update,
)
print(result)
"""

# The rest of the queue API, as fal's client docs show it.
QUEUE_CALLS = """
import json
import os
import time
import fal_client

app = "fal-ai/ltx-2.3-quality/text-to-audio"
ran = fal_client.run(app, arguments={"prompt": "a bell rings"})
handle = fal_client.submit(app, arguments={"prompt": "a bell rings twice"})
status = fal_client.status(app, handle.request_id, with_logs=True)
result = fal_client.result(app, handle.request_id)
slow = fal_client.submit(app, arguments={"prompt": "slow", "num_inference_steps": 30})
fal_client.cancel(app, slow.request_id)
# A job already running ends at the worker's next cancellation check, not at once: poll for it.
deadline = time.monotonic() + 60
cancelled = fal_client.status(app, slow.request_id)
while not isinstance(cancelled, fal_client.Completed) and time.monotonic() < deadline:
    time.sleep(0.1)
    cancelled = fal_client.status(app, slow.request_id)
print(json.dumps({
    "run_url": ran["audio"]["url"], "status": type(status).__name__, "result_url": result["audio"]["url"],
    "cancelled": type(cancelled).__name__,
}))
"""


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(
        tmp_path_factory.mktemp("tls") / "data", LTXSERVE_TLS="true", LTXSERVE_FAKE_STEP_S="0.05"
    )
    yield server
    stop_server(server)


def env_only(server: LiveServer, home: Path) -> dict[str, str]:
    """Nothing but the four variables (and a home without fal credentials): no module globals edited."""
    host = server.base_url.removeprefix("https://")
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "FAL_RUN_HOST": f"{host}/run",
        "FAL_QUEUE_RUN_HOST": f"{host}/queue",
        "FAL_KEY": KEY,
        "SSL_CERT_FILE": server.cert,
    }


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=150)


def test_the_seed_example_runs_unchanged(tls_server: LiveServer, tmp_path: Path) -> None:
    done = run_python(SEED_EXAMPLE, env_only(tls_server, tmp_path))
    assert done.returncode == 0, done.stderr
    assert "denoise: step" in done.stdout  # the logs the example prints while it waits
    assert f"'url': '{tls_server.base_url}/files/" in done.stdout


def test_run_submit_status_result_and_cancel(tls_server: LiveServer, tmp_path: Path) -> None:
    done = run_python(QUEUE_CALLS, env_only(tls_server, tmp_path))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["run_url"].startswith(f"{tls_server.base_url}/files/")
    assert summary["result_url"].startswith(f"{tls_server.base_url}/files/")
    assert summary["status"] in ("Queued", "InProgress", "Completed")
    assert summary["cancelled"] == "Completed"


def test_without_the_certificate_the_client_refuses_the_server(
    tls_server: LiveServer, tmp_path: Path
) -> None:
    env = env_only(tls_server, tmp_path)
    del env["SSL_CERT_FILE"]
    done = run_python(SEED_EXAMPLE, env)
    assert done.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in done.stderr


def test_plain_http_to_the_tls_port_fails_and_https_answers(tls_server: LiveServer) -> None:
    assert httpx.get(f"{tls_server.base_url}/health", verify=tls_server.verify).json()["status"] == "ok"
    with pytest.raises(httpx.HTTPError):
        httpx.get(tls_server.base_url.replace("https", "http") + "/health", timeout=3)


# docs/api.md's one change for uploads: the storage hosts are module constants the environment cannot set.
UPLOAD = """
import os
import fal_client
import fal_client.client as fc

base = "https://" + os.environ["FAL_RUN_HOST"].removesuffix("/run")
fc.REST_URL, fc.CDN_URL = f"{base}/rest", f"{base}/cdn"

audio_url = fal_client.upload(b"RIFF" + bytes(60), "audio/wav")
result = fal_client.subscribe(
    "fal-ai/ltx-2.3-22b/audio-to-video", arguments={"prompt": "a speaker", "audio_url": audio_url}
)
print(audio_url, result["video"]["url"])
"""


def test_uploads_need_only_the_two_storage_constants(tls_server: LiveServer, tmp_path: Path) -> None:
    done = run_python(UPLOAD, env_only(tls_server, tmp_path))
    assert done.returncode == 0, done.stderr
    uploaded, video = done.stdout.split()
    assert uploaded.startswith(f"{tls_server.base_url}/files/")
    assert video.startswith(f"{tls_server.base_url}/files/")


JS_OVER_TLS = """
import { createFalClient } from "@fal-ai/client";
const fal = createFalClient({
  credentials: process.env.FAL_KEY,
  proxyUrl: { url: process.env.LTXSERVE_URL + "/api/fal/proxy", when: "always" },
});
const { data } = await fal.subscribe("fal-ai/ltx-2.3-quality/text-to-audio", { input: { prompt: "a bell" } });
console.log(data.audio.url);
"""


def test_js_client_trusts_the_certificate_through_node_extra_ca_certs(
    tls_server: LiveServer, tmp_path: Path
) -> None:
    js_dir = Path(__file__).parent / "js"
    script = js_dir / f"tls-check-{os.getpid()}.mjs"  # inside js/ so the installed client resolves
    script.write_text(JS_OVER_TLS)
    try:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "FAL_KEY": KEY,
            "LTXSERVE_URL": tls_server.base_url,
            "NODE_EXTRA_CA_CERTS": tls_server.cert,
        }
        done = subprocess.run(
            ["node", script.name], cwd=js_dir, env=env, capture_output=True, text=True, timeout=120
        )
    finally:
        script.unlink()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(f"{tls_server.base_url}/files/")
