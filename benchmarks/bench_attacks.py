"""Re-runs issue 12's attacks against a live `ltxserve serve` (fake runner) and prints the figures:

bad inputs tried → 5xx count (goal 0)     the API's peak memory around a 200 MB prompt
SSRF targets refused (webhooks at submit, inputs at the worker)
CPU of the API with 200 open status streams     `kill -9` rounds → lost / duplicated jobs (goal 0/0)

  python benchmarks/bench_attacks.py [--streams 200] [--kill-rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

T2A = "fal-ai/ltx-2.3-quality/text-to-audio"
T2V = "fal-ai/ltx-2.3-22b/text-to-video/lora"
A2V = "fal-ai/ltx-2.3-22b/audio-to-video"
KEY = "bench-attack-key-0123456789"
AUTH = {"Authorization": f"Key {KEY}"}
HOSTILE_NUMBERS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "1e308",
    str(2**64),
    str(10**30),
    "-1",
    "0",
]
HOSTILE_VALUES: list[Any] = [
    None,
    True,
    "",
    "x" * 30_000,
    "\ud800",
    [],
    {},
    [[[[]]]],
    {"a": {"b": {}}},
    -(2**70),
    0.5,
]
SSRF_HOSTS = [
    "127.0.0.1",
    "127.1",
    "0.0.0.0",
    "0",
    "2130706433",
    "0x7f000001",
    "017700000001",
    "localhost",
    "[::1]",
    "[::]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[64:ff9b::7f00:1]",
    "[2002:7f00:1::]",
    "10.0.0.1",
    "10.255.255.254",
    "172.16.0.1",
    "172.31.255.1",
    "192.168.0.1",
    "192.168.255.255",
    "169.254.169.254",
    "169.254.0.1",
    "[fe80::1]",
    "[fc00::1]",
    "[fd00:ec2::254]",
    "100.64.0.1",
    "100.127.255.254",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "[::ffff:10.0.0.1]",
    "[::ffff:169.254.169.254]",
]
SSRF_PORTS = ["", ":80", ":8000", ":22"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(data: Path, command: str = "serve", **env: str) -> tuple[str, subprocess.Popen[bytes]]:
    port = _port()
    settings = {
        "LTXSERVE_RUNNER": "fake",
        "LTXSERVE_FAKE_STEP_S": "0.05",
        "LTXSERVE_API_KEYS": KEY,
        "LTXSERVE_WORKERS": "1",
        "LTXSERVE_LEASE_S": "2",
        "LTXSERVE_HEARTBEAT_S": "0.3",
        **env,
    }
    cmd = [sys.executable, "-m", "ltxserve.serving", command, "--port", str(port), "--data-dir", str(data)]
    proc = subprocess.Popen(
        cmd, env={**os.environ, **settings}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/health", timeout=1).json()["ready"] or command == "api":
                return base, proc
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become ready")


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bad_inputs() -> list[tuple[str, str, dict[str, str]]]:
    """(endpoint, raw JSON body, headers): hostile values in every field of every endpoint, plus raw text."""
    from ltxserve.endpoints import ENDPOINTS

    cases: list[tuple[str, str, dict[str, str]]] = []
    for app_id, endpoint in ENDPOINTS.items():
        base = {"prompt": "a", "loras": [], "audio_url": "data:audio/wav;base64,UklGRg=="}
        for field in endpoint.input_model.model_fields:
            for number in HOSTILE_NUMBERS:
                cases.append((app_id, json.dumps(base)[:-1] + f', "{field}": {number}}}', {}))
            for value in HOSTILE_VALUES:
                cases.append((app_id, json.dumps({**base, field: value}), {}))
        for number in HOSTILE_NUMBERS:
            lora = f'{{"prompt": "a", "loras": [{{"path": "https://example.com/a.safetensors", "scale": {number}}}]}}'
            cases.append((app_id, lora, {}))
            header = {"x-fal-object-lifecycle-preference": f'{{"expiration_duration_seconds": {number}}}'}
            cases.append((app_id, json.dumps(base), header))
            cases.append((app_id, json.dumps(base), {"x-fal-request-timeout": number}))
        for depth in (33, 1000, 100_000):
            cases.append((app_id, '{"prompt": "a", "x": ' + "[" * depth + "]" * depth + "}", {}))
        for text in ("", "{", "[]", "null", '"a"', "\xff\xfe", '{"prompt": "\\ud800"}', '{"\\udfff": 1}'):
            cases.append((app_id, text, {}))
    return cases


def attack_inputs(base: str) -> Counter[int]:
    codes: Counter[int] = Counter()
    with httpx.Client(base_url=base, headers=AUTH, timeout=60) as client:
        for app_id, body, headers in bad_inputs():
            response = client.post(
                f"/queue/{app_id}",
                content=body.encode("utf-8", "surrogatepass"),
                headers={"content-type": "application/json", **headers},
            )
            codes[response.status_code] += 1
    return codes


def big_prompt(base: str, pid: int, megabytes: int = 200) -> tuple[float, float, int, int]:
    """RSS before, peak RSS after, and the status codes for a declared and a chunked 200 MB prompt."""
    before = rss_mb(pid)
    chunk = b"x" * (1024 * 1024)
    body = b'{"prompt": "' + chunk * megabytes + b'"}'
    with httpx.Client(base_url=base, headers=AUTH, timeout=120) as client:
        declared = client.post(f"/queue/{T2A}", content=body, headers={"content-type": "application/json"})

        def chunks() -> Any:
            yield b'{"prompt": "'
            for _ in range(megabytes):
                yield chunk
            yield b'"}'

        try:
            chunked = client.post(
                f"/queue/{T2A}", content=chunks(), headers={"content-type": "application/json"}
            ).status_code
        except httpx.HTTPError:  # the server answered 413 and closed while the body was still coming
            chunked = 413
    return before, rss_mb(pid, "VmHWM"), declared.status_code, chunked


def ssrf(base: str) -> tuple[int, int, int, int]:
    """Webhook URLs refused at submit (of tried); input URLs refused by the worker (of tried)."""
    targets = [f"http://{host}{port}/x" for host, port in itertools.product(SSRF_HOSTS, SSRF_PORTS)]
    hooks_refused = inputs_refused = 0
    with httpx.Client(base_url=base, headers=AUTH, timeout=60) as client:
        for url in targets:
            r = client.post(f"/queue/{T2A}", params={"fal_webhook": url}, json={"prompt": "a"})
            hooks_refused += r.status_code == 422
        submitted = [
            client.post(f"/queue/{A2V}", json={"prompt": "a", "audio_url": url}).json() for url in targets
        ]
        for job in submitted:
            while client.get(job["status_url"]).json()["status"] != "COMPLETED":
                time.sleep(0.05)
            result = client.get(job["response_url"])
            detail = result.json().get("detail")
            kind = detail[0]["type"] if isinstance(detail, list) else None
            inputs_refused += result.status_code == 422 and kind == "file_download_error"
    return hooks_refused, len(targets), inputs_refused, len(targets)


async def _hold_streams(base: str, urls: list[str], seconds: float, pid: int) -> float:
    async with httpx.AsyncClient(
        headers=AUTH, timeout=None, limits=httpx.Limits(max_connections=None)
    ) as client:
        streams = [client.stream("GET", url + "/stream") for url in urls]
        responses = [await s.__aenter__() for s in streams]
        await asyncio.sleep(1.0)
        start = cpu_s(pid)
        await asyncio.sleep(seconds)
        used = cpu_s(pid) - start
        for s in streams:
            await s.__aexit__(None, None, None)
        del responses
    return used / seconds


def streams_cpu(base: str, pid: int, count: int) -> float:
    """Cores the API uses while `count` status streams wait on queued jobs (no worker takes them)."""
    with httpx.Client(base_url=base, headers=AUTH, timeout=60) as client:
        urls = [
            client.post(f"/queue/{T2A}", json={"prompt": "wait"}).json()["status_url"] for _ in range(count)
        ]
    return asyncio.run(_hold_streams(base, urls, 10.0, pid))


def kill_rounds(data: Path, rounds: int) -> tuple[int, int, int]:
    """Per round: a job running, its worker SIGKILLed; afterwards every job must have exactly one result."""
    base, proc = start(data, LTXSERVE_FAKE_STEP_S="0.2")
    jobs = []
    try:
        with httpx.Client(base_url=base, headers=AUTH, timeout=60) as client:
            for _ in range(rounds):
                job = client.post(
                    f"/queue/{T2A}", json={"prompt": "survive", "num_inference_steps": 10}
                ).json()
                jobs.append(job)
                while client.get(job["status_url"]).json()["status"] != "IN_PROGRESS":
                    time.sleep(0.05)
                time.sleep(0.4)
                for worker in client.get("/health").json()["workers"]:
                    if worker["current_job"] == job["request_id"]:
                        os.kill(int(worker["pid"]), signal.SIGKILL)
            lost = duplicated = 0
            for job in jobs:
                deadline = time.monotonic() + 120
                while (status := client.get(job["status_url"], params={"logs": 1}).json())[
                    "status"
                ] != "COMPLETED":
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.1)
                ok = client.get(job["response_url"]).status_code == 200
                lost += not ok
                finished = sum("Job started" in line["message"] for line in status.get("logs") or [])
                duplicated += ok and finished > 2  # one re-run after the kill is expected; more is not
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return rounds, lost, duplicated


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--kill-rounds", type=int, default=5)
    parser.add_argument("--only", choices=["inputs", "streams", "kill"], default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "inputs"):
            attack_the_inputs(Path(tmp))
        if args.only in (None, "streams"):
            base, proc = start(Path(tmp) / "streams", "api")  # no worker: every job stays queued
            try:
                cores = streams_cpu(base, proc.pid, args.streams)
                print(f"{args.streams} open status streams: API uses {cores:.3f} cores")
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        if args.only in (None, "kill"):
            rounds, lost, duplicated = kill_rounds(Path(tmp) / "kill", args.kill_rounds)
            print(f"kill -9 rounds: {rounds} -> lost {lost}, duplicated {duplicated}")


def attack_the_inputs(tmp: Path) -> None:
    """Bad inputs, the 200 MB prompt and the SSRF targets against one server."""
    base, proc = start(tmp / "data", LTXSERVE_FETCH_CONNECT_TIMEOUT_S="2")
    try:
        codes = attack_inputs(base)
        tried = sum(codes.values())
        print(
            f"bad inputs: {tried} tried -> {sum(n for c, n in codes.items() if c >= 500)} 5xx "
            f"(codes: {dict(sorted(codes.items()))})"
        )
        before, peak, declared, chunked = big_prompt(base, proc.pid)
        print(
            f"200 MB prompt: {declared} (declared length), {chunked} (chunked); API RSS {before:.0f} MB "
            f"before, peak {peak:.0f} MB"
        )
        hooks, hook_total, inputs, input_total = ssrf(base)
        print(
            f"SSRF: webhook URLs refused at submit {hooks}/{hook_total}; input URLs refused {inputs}/{input_total}"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
