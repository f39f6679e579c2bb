"""Scale-out figures: submit latency and rate (SQLite vs PostgreSQL), dispatch latency, worker throughput
scaling on PostgreSQL, and kill -9 crash rounds across API and worker processes.

Everything runs on this machine: a throwaway PostgreSQL cluster, an in-process S3 server (moto), real
`ltxserve api` / worker processes with the fake runner.

    python benchmarks/bench_scaleout.py [--jobs 1000] [--clients 50] [--rounds 20] [--skip crash]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from ltxserve.jobs.backends import migrate_database
from ltxserve.jobs.postgres.queue import PostgresQueue
from ltxserve.jobs.queue import JobQueue
from ltxserve.jobs.records import NewJob
from ltxserve.jobs.store import JobStore
from ltxserve.testing.postgres import ThrowawayPostgres
from ltxserve.testing.s3 import InProcessS3
from ltxserve.testing.webhooks import WebhookReceiver

APP = "fal-ai/ltx-2.3-quality/text-to-audio"
FAST = {"LTXSERVE_RUNNER": "fake", "LTXSERVE_HEARTBEAT_S": "0.3", "LTXSERVE_LEASE_S": "3"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Procs:
    """API and worker processes of one deployment, each with its own data dir."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env = root, {**os.environ, **env}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.urls: dict[str, str] = {}

    def api(self, name: str) -> str:
        port = _port()
        cmd = [sys.executable, "-m", "ltxserve.serving", "api", "--port", str(port)]
        cmd += ["--data-dir", str(self.root / name)]
        self.procs[name] = subprocess.Popen(cmd, env=self.env, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        self.urls[name] = url
        return url

    def worker(self, name: str, **env: str) -> None:
        data = self.root / name
        data.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "ltxserve.worker", "--worker-id", name]
        self.procs[name] = subprocess.Popen(
            cmd, env={**self.env, "LTXSERVE_DATA_DIR": str(data), **env}, stderr=subprocess.DEVNULL
        )

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _queue(url: str | None, data: Path) -> JobQueue:
    return PostgresQueue(url, pool_size=4) if url else JobStore(data / "jobs.sqlite3")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- 1. submit latency and rate ---------------------------------------------------------------------


async def _burst(url: str, jobs: int, clients: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    per_client = jobs // clients

    async def client(http: httpx.AsyncClient) -> None:
        for i in range(per_client):
            start = time.perf_counter()
            reply = await http.post(f"{url}/queue/{APP}", json={"prompt": f"p{i}"})
            latencies.append(time.perf_counter() - start)
            assert reply.status_code == 200, reply.text

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        began = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        return latencies, time.perf_counter() - began


def submit_figures(backends: dict[str, str | None], root: Path, jobs: int, clients: int) -> None:
    print(f"\n1. submit: {jobs} jobs from {clients} clients, one `ltxserve api` process")
    for name, url in backends.items():
        procs = Procs(root / f"submit-{name}", {"LTXSERVE_DATABASE_URL": url} if url else {})
        try:
            base = procs.api("api")
            asyncio.run(_burst(base, 50, 10))  # warm up connections and pools
            latencies, took = asyncio.run(_burst(base, jobs, clients))
        finally:
            procs.stop()
        print(
            f"   {name:10s} p50 {_pct(latencies, 0.5) * 1000:6.1f} ms   p99 {_pct(latencies, 0.99) * 1000:6.1f} ms"
            f"   {len(latencies) / took:6.0f} submits/s"
        )


# -- 2. dispatch latency ----------------------------------------------------------------------------


def dispatch_figures(backends: dict[str, str | None], root: Path, samples: int = 40) -> None:
    print(f"\n2. dispatch latency (submit → claimed), one idle worker polling every 0.1 s, {samples} jobs")
    for name, url in backends.items():
        data = root / f"dispatch-{name}"
        data.mkdir(parents=True, exist_ok=True)
        env = {**FAST, "LTXSERVE_FAKE_STEP_S": "0", "LTXSERVE_DATA_DIR": str(data)}
        if url:
            env["LTXSERVE_DATABASE_URL"] = url
        procs = Procs(data, env)
        queue = _queue(url, data)
        try:
            procs.worker("w", LTXSERVE_DATA_DIR=str(data))
            delays = []
            for i in range(samples):
                rid = f"d-{name}-{i}"
                queue.submit(NewJob(request_id=rid, endpoint_id=APP, owner="o", input={"prompt": "x"}))
                while (job := queue.get(rid)) is None or job.started_at is None:
                    time.sleep(0.005)
                delays.append(job.started_at - job.created_at)
                time.sleep(random.uniform(0.05, 0.15))  # arrivals not in step with the poll
        finally:
            procs.stop()
            queue.close()
        print(
            f"   {name:10s} mean {statistics.mean(delays) * 1000:6.1f} ms   p50 {_pct(delays, 0.5) * 1000:6.1f} ms"
            f"   p99 {_pct(delays, 0.99) * 1000:6.1f} ms"
        )


# -- 3. throughput with 1, 2, 4 workers -------------------------------------------------------------


def throughput_figures(pg: ThrowawayPostgres, root: Path, jobs: int = 120) -> None:
    print(
        f"\n3. throughput on PostgreSQL: {jobs} jobs of 8 fake steps x 50 ms (0.4 s each), workers ready first"
    )
    base: float | None = None
    for workers in (1, 2, 4):
        url = pg.create_database(f"throughput_{workers}", template="bench_template")
        queue = PostgresQueue(url, pool_size=4)
        env = {**FAST, "LTXSERVE_DATABASE_URL": url, "LTXSERVE_FAKE_STEP_S": "0.05"}
        procs = Procs(root / f"tp-{workers}", env)
        try:
            for w in range(workers):
                procs.worker(f"w{w}")
            while sum(w["state"] == "ready" for w in queue.workers()) < workers:
                time.sleep(0.05)
            began = time.perf_counter()
            for i in range(jobs):
                queue.submit(NewJob(request_id=f"t{i}", endpoint_id=APP, owner="o", input={"prompt": "x"}))
            while queue.stats()["by_state"].get("COMPLETED:ok", 0) < jobs:
                time.sleep(0.05)
            took = time.perf_counter() - began
        finally:
            procs.stop()
            queue.close()
        rate = jobs / took
        base = base or rate
        print(f"   {workers} worker(s): {rate:5.2f} jobs/s   {rate / base:4.2f}x one worker")


# -- 4. crash rounds ---------------------------------------------------------------------------------


def crash_figures(pg: ThrowawayPostgres, s3: InProcessS3, root: Path, rounds: int) -> None:
    print(f"\n4. crash rounds: {rounds} x (submit 5 jobs, kill -9 an API or a worker, restart it)")
    url = pg.create_database("crash", template="bench_template")
    hooks = WebhookReceiver()
    env = {
        **FAST,
        "LTXSERVE_DATABASE_URL": url,
        "LTXSERVE_STORAGE_URL": f"s3://{s3.bucket}/crash",
        "LTXSERVE_FAKE_STEP_S": "0.1",
        "LTXSERVE_FETCH_ALLOW_HOSTS": "127.0.0.1",
        "LTXSERVE_WEBHOOK_BACKOFF_SCALE": "0.01",
        **s3.env(),
    }
    procs = Procs(root / "crash", env)
    acknowledged: list[str] = []
    try:
        for name in ("api-a", "api-b"):
            procs.api(name)
        for name in ("gpu-a", "gpu-b"):
            procs.worker(name)
        rng = random.Random(0)
        for r in range(rounds):
            for i in range(5):
                api = rng.choice(["api-a", "api-b"])
                try:
                    reply = httpx.post(
                        f"{procs.urls[api]}/queue/{APP}",
                        params={"fal_webhook": hooks.url},
                        json={"prompt": f"r{r}-{i}", "num_inference_steps": 10},
                        timeout=10,
                    )
                    if reply.status_code == 200:
                        acknowledged.append(reply.json()["request_id"])
                except httpx.HTTPError:
                    pass
            time.sleep(rng.uniform(0.3, 1.5))
            victim = rng.choice(["api-a", "api-b", "gpu-a", "gpu-b"])
            procs.kill(victim)
            (procs.api if victim.startswith("api") else procs.worker)(victim)
        queue = PostgresQueue(url, pool_size=2)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            done = [queue.get(rid) for rid in acknowledged]
            if all(j is not None and j.status == "COMPLETED" for j in done):
                break
            time.sleep(0.5)
        hook_deadline = time.monotonic() + 90  # a delivery held by a killed API is retried after 60 s
        while time.monotonic() < hook_deadline and any(hooks.delivered()[rid] == 0 for rid in acknowledged):
            time.sleep(0.5)
        time.sleep(3)  # late duplicates would arrive now
        lost = [
            rid for rid, j in zip(acknowledged, done, strict=True) if j is None or j.status != "COMPLETED"
        ]
        failed = [j.request_id for j in done if j is not None and j.outcome != "ok"]
        with queue.pool.connection() as conn:
            rows = conn.execute(
                "SELECT request_id, COUNT(*) AS n FROM ltxserve_webhooks GROUP BY request_id HAVING COUNT(*) > 1"
            ).fetchall()
        queue.close()
        duplicated_results = len(rows)
        delivered = hooks.delivered()
        duplicated_hooks = sum(1 for rid in acknowledged if delivered[rid] > 1)
        missing_hooks = sum(1 for rid in acknowledged if delivered[rid] == 0)
    finally:
        procs.stop()
        hooks.close()
    print(
        f"   {len(acknowledged)} acknowledged jobs: lost {len(lost)}, not ok {len(failed)},"
        f" duplicated results {duplicated_results}, duplicated webhooks {duplicated_hooks},"
        f" missing webhooks {missing_hooks}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=["submit", "dispatch", "throughput", "crash"]
    )
    args = parser.parse_args()
    pg = ThrowawayPostgres().start()
    s3 = InProcessS3().start()
    root = Path(tempfile.mkdtemp(prefix="ltxserve-bench-"))
    try:
        migrate_database(pg.create_database("bench_template"))
        backends: dict[str, str | None] = {
            "sqlite": None,
            "postgresql": pg.create_database("bench_api", template="bench_template"),
        }
        steps: dict[str, Callable[[], Any]] = {
            "submit": lambda: submit_figures(backends, root, args.jobs, args.clients),
            "dispatch": lambda: dispatch_figures(
                {
                    "sqlite": None,
                    "postgresql": pg.create_database("bench_dispatch", template="bench_template"),
                },
                root,
            ),
            "throughput": lambda: throughput_figures(pg, root),
            "crash": lambda: crash_figures(pg, s3, root, args.rounds),
        }
        print(f"machine: {os.cpu_count()} CPUs; PostgreSQL {pg.bin.parent.name} (fsync off), moto S3")
        for name, step in steps.items():
            if name not in args.skip:
                step()
    finally:
        s3.stop()
        pg.stop()


if __name__ == "__main__":
    main()
