"""LoRAs by URL through the job runner: the safe fetcher, the cache, camera LoRAs and local folders."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ltxserve.files.errors import FetchError
from ltxserve.files.fetch import SafeFetcher
from ltxserve.files.lora_cache import LoraCache
from ltxserve.jobs.records import model_error
from ltxserve.worker.engine_runner import EngineRunner
from ltxserve.worker.local import LocalContext
from ltxserve.worker.lora_sources import LoraSources
from ltxserve.worker.runner import JobError

PAYLOAD = {
    "prompt": "a kite",
    "num_frames": 9,
    "video_size": {"width": 64, "height": 64},
    "num_inference_steps": 8,
    "use_multiscale": False,
    "enable_prompt_expansion": False,
    "enable_safety_checker": False,
    "seed": 2,
}


@pytest.fixture(scope="module")
def lora_server(tiny_model_dir):
    body = next(Path(tiny_model_dir).glob("*distilled-lora*.safetensors")).read_bytes()
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            hits.append(self.path)
            if self.path.startswith("/lora"):
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()


class FetchingContext(LocalContext):
    """The CLI context, but URLs go through the safe fetcher (127.0.0.1 allow-listed for the test)."""

    fetcher = SafeFetcher(["127.0.0.1"])

    def input_to_path(self, loc, url, dest, limit):
        try:
            return self.fetcher.fetch_to_path(url, dest, limit)
        except FetchError as exc:
            raise JobError(model_error("file_download_error", exc.reason, list(loc))) from exc


@pytest.fixture
def runner(tiny_engine, tiny_model_dir, tmp_path):
    runner = EngineRunner(tiny_model_dir, loras=LoraSources(cache=LoraCache(tmp_path / "cache", 10**9)))
    runner.engine = tiny_engine
    return runner


def run(runner, payload, tmp_path, name="out.mp4", on_log=None):
    context = FetchingContext(tmp_path / name, on_log=on_log)
    return runner.run("fal-ai/ltx-2.3-22b/text-to-video/lora", payload, context)


def test_lora_url_is_downloaded_once_and_changes_the_output(runner, lora_server, tmp_path):
    base, hits = lora_server
    hits.clear()
    plain = run(runner, {**PAYLOAD, "loras": []}, tmp_path, "plain.mp4")
    with_lora = {**PAYLOAD, "loras": [{"path": f"{base}/lora-a.safetensors", "scale": 1.0}]}
    first = run(runner, with_lora, tmp_path, "a1.mp4")
    again = run(runner, with_lora, tmp_path, "a2.mp4")
    assert hits == ["/lora-a.safetensors"]
    assert (tmp_path / "a1.mp4").read_bytes() == (tmp_path / "a2.mp4").read_bytes()
    assert (tmp_path / "a1.mp4").read_bytes() != (tmp_path / "plain.mp4").read_bytes()
    assert first["seed"] == again["seed"] == plain["seed"]


def test_lora_hooked_for_lack_of_memory_says_so_in_the_job_log(runner, lora_server, tmp_path, monkeypatch):
    from ltxserve.engine.adapters import fuse

    base, _ = lora_server
    adapters = runner.engine.adapters
    saved = adapters.backup, adapters.gate
    adapters.backup, adapters.gate = fuse.WeightBackup(), fuse.FuseGate()  # nothing backed up yet
    monkeypatch.setattr(fuse, "host_available_bytes", lambda: 64 << 20)  # below the 2 GiB reserve
    logs: list[tuple[str, str]] = []
    try:
        payload = {**PAYLOAD, "loras": [{"path": f"{base}/lora-mem.safetensors", "scale": 1.0}]}
        run(
            runner,
            payload,
            tmp_path,
            "hooked.mp4",
            on_log=lambda message, level: logs.append((level, message)),
        )
    finally:
        adapters.backup, adapters.gate = saved
    warnings = [message for level, message in logs if level == "WARN"]
    assert len(warnings) == 1 and "forward hooks" in warnings[0], logs


def test_concurrent_requests_for_one_url_fetch_it_once(lora_server, tmp_path):
    base, hits = lora_server
    hits.clear()
    sources = LoraSources(cache=LoraCache(tmp_path / "cache", 10**9))
    context = FetchingContext(tmp_path / "x")
    paths = []
    threads = [
        threading.Thread(
            target=lambda: paths.append(sources.fetch(context, ("loras", 0), f"{base}/lora-b", tmp_path))
        )
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert hits == ["/lora-b"]
    assert len(set(paths)) == 1


def test_download_failure_names_the_lora_index(runner, lora_server, tmp_path):
    base, _ = lora_server
    payload = {**PAYLOAD, "loras": [{"path": f"{base}/lora-ok"}, {"path": f"{base}/missing"}]}
    with pytest.raises(JobError) as info:
        run(runner, payload, tmp_path)
    detail = info.value.failure.body["detail"][0]
    assert detail["type"] == "file_download_error"
    assert detail["loc"] == ["body", "loras", 1, "path"]


def test_camera_lora_is_applied_from_its_configured_source(runner, lora_server, tmp_path):
    base, _ = lora_server
    runner.loras = LoraSources(cache=runner.loras.cache, camera={"dolly_in": f"{base}/lora-camera"})
    plain = {**PAYLOAD, "loras": []}
    run(runner, plain, tmp_path, "none.mp4")
    run(runner, {**plain, "camera_lora": "dolly_in", "camera_lora_scale": 1.0}, tmp_path, "dolly.mp4")
    assert (tmp_path / "none.mp4").read_bytes() != (tmp_path / "dolly.mp4").read_bytes()
    with pytest.raises(JobError) as info:
        run(runner, {**plain, "camera_lora": "jib_up"}, tmp_path, "jib.mp4")
    detail = info.value.failure.body["detail"][0]
    assert detail["type"] == "feature_not_supported"
    assert detail["loc"] == ["body", "camera_lora"]


def test_camera_lora_download_failure_names_camera_lora(runner, lora_server, tmp_path):
    base, _ = lora_server
    runner.loras = LoraSources(cache=runner.loras.cache, camera={"dolly_out": f"{base}/missing"})
    with pytest.raises(JobError) as info:
        run(runner, {**PAYLOAD, "loras": [], "camera_lora": "dolly_out"}, tmp_path)
    detail = info.value.failure.body["detail"][0]
    assert detail["type"] == "file_download_error"
    assert detail["loc"] == ["body", "camera_lora"]


def test_local_lora_paths_only_inside_allowed_folders(tiny_model_dir, tmp_path):
    lora = next(Path(tiny_model_dir).glob("*distilled-lora*.safetensors"))
    context = FetchingContext(tmp_path / "x")
    allowed = LoraSources(local_dirs=(Path(tiny_model_dir),))
    assert allowed.fetch(context, ("loras", 0), str(lora), tmp_path) == str(lora.resolve())
    with pytest.raises(JobError):  # not allowed: handed to the fetcher, which only speaks http(s)
        LoraSources().fetch(context, ("loras", 0), lora.as_uri(), tmp_path)
