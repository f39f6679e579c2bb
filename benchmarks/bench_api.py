"""API overhead on loopback: submit latency, status polls per second, dispatch latency — each next to a
bare uvicorn hello-world route measured in the same run (goal: at least 0.7x its throughput).

    python benchmarks/bench_api.py [--requests 400] [--clients 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import FastAPI

from ltxserve.jobs.store import JobStore

APP = "fal-ai/ltx-2.3-quality/text-to-audio"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        assert proc.poll() is None, "server exited"
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} never answered")


def _start(cmd: list[str], env: dict[str, str], probe: str) -> tuple[str, subprocess.Popen[bytes]]:
    """A server in its own process, so the load generator does not share its interpreter."""
    port = _port()
    proc = subprocess.Popen([*cmd, "--port", str(port)], env={**os.environ, **env}, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    _wait(base + probe, proc)
    return base, proc


hello_app = FastAPI()


@hello_app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}


@hello_app.post("/hello")
def hello_post(body: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {"status": "IN_QUEUE"}


async def _rate(
    method: str, url: str, total: int, clients: int, json: dict | None = None
) -> tuple[float, list[float]]:  # type: ignore[type-arg]
    """Requests per second and per-request latencies with `clients` concurrent connections."""
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def client(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            queue.get_nowait()
            start = time.perf_counter()
            response = await http.request(method, url, json=json)
            response.raise_for_status()
            latencies.append(time.perf_counter() - start)

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        start = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        return total / (time.perf_counter() - start), latencies


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="ltxserve-bench-"))
    env = {"LTXSERVE_RUNNER": "fake", "LTXSERVE_FAKE_STEP_S": "0", "LTXSERVE_POLL_INTERVAL_S": "0.005"}
    py = sys.executable
    bare_cmd = [py, "-m", "uvicorn", "bench_api:hello_app", "--app-dir", str(Path(__file__).parent)]
    bare, bare_proc = _start([*bare_cmd, "--log-level", "error"], {}, "/hello")
    ours, api_proc = _start(
        [py, "-m", "ltxserve.serving", "api", "--data-dir", str(data / "a")], env, "/health"
    )
    body = {"prompt": "a bell"}
    try:
        # 1. Submit latency, one client at a time (no worker: jobs stay queued).
        _, submit = asyncio.run(_rate("POST", f"{ours}/queue/{APP}", args.requests, 1, body))
        _, bare_post = asyncio.run(_rate("POST", f"{bare}/hello", args.requests, 1, body))
        print(f"submit latency      p50 {_pct(submit, 50):6.2f} ms  p99 {_pct(submit, 99):6.2f} ms")
        print(f"bare POST latency   p50 {_pct(bare_post, 50):6.2f} ms  p99 {_pct(bare_post, 99):6.2f} ms")
        # 2. Status polls per second with N concurrent clients.
        status_url = httpx.post(f"{ours}/queue/{APP}", json=body).json()["status_url"]
        ours_rps, _ = asyncio.run(_rate("GET", status_url, args.requests * 5, args.clients))
        bare_rps, _ = asyncio.run(_rate("GET", f"{bare}/hello", args.requests * 5, args.clients))
        print(
            f"status polls/s      {ours_rps:8.0f}   bare GET/s {bare_rps:8.0f}   ratio {ours_rps / bare_rps:.2f}"
        )
    finally:
        api_proc.terminate()
    # 3. Dispatch latency: submit → a worker process (polling every 5 ms) starts the job.
    served, serve_proc = _start(
        [py, "-m", "ltxserve.serving", "serve", "--data-dir", str(data / "s")], env, "/health"
    )
    try:
        for _ in range(600):  # the worker process starts (a minute at most)
            if httpx.get(f"{served}/health").json()["ready"]:
                break
            time.sleep(0.1)
        store = JobStore(data / "s" / "jobs.sqlite3")
        delays = []
        for _ in range(50):
            request_id = httpx.post(f"{served}/queue/{APP}", json=body).json()["request_id"]
            for _ in range(2000):
                job = store.get(request_id)
                if job and job.started_at:
                    delays.append(job.started_at - job.created_at)
                    break
                time.sleep(0.002)
        print(f"dispatch latency    p50 {_pct(delays, 50):6.2f} ms  p99 {_pct(delays, 99):6.2f} ms")
    finally:
        serve_proc.terminate()
        bare_proc.terminate()
        for proc in (api_proc, serve_proc, bare_proc):
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
