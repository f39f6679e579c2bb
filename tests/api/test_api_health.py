"""`/health`: liveness only without a key, the reason a worker cannot load, dead workers, storage trouble."""

from __future__ import annotations

import errno
import sqlite3
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ltxserve.worker.loop import WorkerLoadError
from ltxserve.worker.process import build_worker

from .api_harness import T2A, Harness

pytestmark = pytest.mark.timeout(60)
KEY = "health-key-0123456789"
AUTH = {"Authorization": f"Key {KEY}"}


def test_without_a_key_health_is_liveness_only(make_harness: Any) -> None:
    h: Harness = make_harness(api_keys=[KEY])
    h.client.post(f"/run/{T2A}", json={"prompt": "a"}, headers=AUTH)
    anonymous = h.client.get("/health")
    assert anonymous.status_code == 200
    assert anonymous.json() == {"status": "ok", "ready": True}
    detailed = h.client.get("/health", headers=AUTH).json()
    assert detailed["workers"][0]["pid"]
    assert "queue_length" in detailed


def test_a_worker_that_cannot_load_says_why(make_harness: Any) -> None:
    h: Harness = make_harness(workers=0)
    worker = build_worker(h.settings, "broken-worker")

    def fail() -> None:
        raise FileNotFoundError("models/ltx-2.3: no LTX-2.3 checkpoint found")

    worker.runner.load = fail  # type: ignore[method-assign]
    with pytest.raises(WorkerLoadError):
        worker.serve(threading.Event())
    health = h.client.get("/health").json()
    assert health["ready"] is False
    assert "broken-worker cannot load: FileNotFoundError: models/ltx-2.3" in health["reason"]
    [row] = health["workers"]
    assert row["state"] == "failed"
    assert not row["alive"]
    assert "no LTX-2.3 checkpoint" in row["error"]


def test_a_dead_worker_stops_showing_busy_within_a_few_heartbeats(make_harness: Any) -> None:
    h: Harness = make_harness(workers=0, heartbeat_s=0.05)
    store = h.client.app.state.ltx.store  # type: ignore[attr-defined]
    store.worker_state("killed", 4242, "cpu", "busy", "some-request-id")  # its last beat, then kill -9
    assert h.client.get("/health").json()["workers"][0]["state"] == "busy"
    time.sleep(3 * 0.05 + 2.0 + 0.2)
    [row] = h.client.get("/health").json()["workers"]
    assert row["state"] == "unresponsive"
    assert row["current_job"] is None
    assert not row["alive"]


def test_a_busy_worker_keeps_beating_during_a_long_job(make_harness: Any) -> None:
    h: Harness = make_harness(heartbeat_s=0.05, fake_step_s=0.3)
    submitted = h.client.post(f"/queue/{T2A}", json={"prompt": "a", "num_inference_steps": 10}).json()
    time.sleep(2.6)  # longer than the staleness window: only the job's heartbeats keep it alive
    [row] = h.client.get("/health").json()["workers"]
    assert row["state"] == "busy"
    assert row["alive"]
    assert row["current_job"] == submitted["request_id"]


def test_read_only_data_dir_is_not_healthy(make_harness: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    h: Harness = make_harness(workers=0)
    import ltxserve.files.storage as storage_module

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(storage_module.tempfile, "NamedTemporaryFile", read_only)
    response = h.client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unhealthy"
    assert "Read-only file system" in response.json()["reason"]


@pytest.mark.parametrize(
    ("error", "status", "error_type"),
    [
        (sqlite3.OperationalError("attempt to write a readonly database"), 503, "storage_unavailable"),
        (sqlite3.OperationalError("database or disk is full"), 507, "insufficient_storage"),
        (OSError(errno.ENOSPC, "No space left on device"), 507, "insufficient_storage"),
    ],
)
def test_storage_trouble_at_submit_is_507_or_503(
    make_harness: Any, monkeypatch: pytest.MonkeyPatch, error: Exception, status: int, error_type: str
) -> None:
    h: Harness = make_harness(workers=0)
    store = h.client.app.state.ltx.store  # type: ignore[attr-defined]

    def broken(job: object) -> None:
        raise error

    monkeypatch.setattr(store, "submit", broken)
    client = TestClient(h.client.app, raise_server_exceptions=False)
    response = client.post(f"/queue/{T2A}", json={"prompt": "a"})
    assert response.status_code == status
    assert response.json()["error_type"] == error_type


def test_worker_on_unwritable_storage_waits_instead_of_failing_jobs(
    make_harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    h: Harness = make_harness(workers=0, heartbeat_s=0.05)
    submitted = h.client.post(f"/queue/{T2A}", json={"prompt": "a"}).json()
    import ltxserve.worker.loop as loop_module

    broken = {"on": True}
    real = loop_module.probe_writable
    monkeypatch.setattr(
        loop_module, "probe_writable", lambda root: "disk full" if broken["on"] else real(root)
    )
    h.start_worker()
    time.sleep(1.0)
    status = h.client.get(h.path(submitted["status_url"])).json()
    assert status["status"] == "IN_QUEUE"  # not claimed, not failed
    [row] = h.client.get("/health").json()["workers"]
    assert row["state"] == "waiting"
    assert "disk full" in row["error"]
    broken["on"] = False
    final = h.wait(submitted)
    assert "error" not in final


def test_a_failed_output_write_leaves_nothing_behind(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from ltxserve.files.storage import LocalStorage

    storage = LocalStorage(tmp_path / "files", 3600)
    real_open = type(tmp_path).open

    def full_disk(self: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if mode == "wb":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(type(tmp_path), "open", full_disk)
    with pytest.raises(OSError):
        storage.put(b"x" * 100, file_name="video.mp4", content_type="video/mp4", owner="o")
    assert not list((tmp_path / "files").iterdir())


def test_worker_waits_out_a_read_only_job_store_instead_of_crashing(
    make_harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    h: Harness = make_harness(workers=0, heartbeat_s=0.05)
    submitted = h.client.post(f"/queue/{T2A}", json={"prompt": "a"}).json()
    worker = build_worker(h.settings, "store-trouble")
    real_claim = worker.store.claim
    broken = {"on": True}

    def claim(*args: Any, **kwargs: Any) -> Any:
        if broken["on"]:
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(worker.store, "claim", claim)
    stop = threading.Event()
    thread = threading.Thread(target=worker.serve, args=(stop,), daemon=True)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive()
    assert h.client.get(h.path(submitted["status_url"])).json()["status"] == "IN_QUEUE"
    broken["on"] = False
    assert "error" not in h.wait(submitted)
    stop.set()
    thread.join(timeout=5)
