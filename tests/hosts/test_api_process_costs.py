"""What a live API process pays: an upload streams to storage (not held whole); open streams cost no CPU."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..clients.live_server import KEY, LiveServer, start_server, stop_server

pytestmark = pytest.mark.timeout(300)
MIB = 1024 * 1024
AUTH = {"Authorization": f"Key {KEY}"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(tmp_path / "data", command="api")
    yield server
    stop_server(server)


def _peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_512_mib_upload_streams_to_storage_without_growing_the_api(api: LiveServer) -> None:
    size = 512 * MIB
    before = _peak_rss(api.proc.pid)
    started = httpx.post(
        f"{api.base_url}/rest/storage/upload/initiate",
        json={"file_name": "big.bin", "content_type": "application/octet-stream"},
        headers=AUTH,
    ).json()

    def body() -> Iterator[bytes]:
        for _ in range(size // MIB):
            yield b"\x07" * MIB

    put = httpx.put(started["upload_url"], content=body(), timeout=120)
    assert put.status_code == 200, put.text
    grown = _peak_rss(api.proc.pid) - before
    assert grown < 64 * MIB, f"the API's peak memory grew by {grown / MIB:.0f} MiB for a 512 MiB upload"
    with httpx.stream("GET", started["file_url"], headers=AUTH) as got:
        assert got.status_code == 200
        assert sum(len(c) for c in got.iter_bytes()) == size


def test_200_open_status_streams_cost_the_api_almost_no_cpu(api: LiveServer) -> None:
    """No worker runs: 200 jobs stay queued with a stream open on each; the API should sleep."""
    app = "fal-ai/ltx-2.3-quality/text-to-audio"
    with httpx.Client(headers=AUTH) as client:
        jobs = [
            client.post(f"{api.base_url}/queue/{app}", json={"prompt": f"p{i}"}).json() for i in range(200)
        ]

    async def hold_streams(seconds: float) -> tuple[int, float]:
        opened = 0
        async with httpx.AsyncClient(headers=AUTH, timeout=30) as client:

            async def one(job: dict[str, str]) -> None:
                nonlocal opened
                async with client.stream("GET", f"{job['status_url']}/stream") as response:
                    assert response.status_code == 200
                    async for line in response.aiter_lines():
                        if line.startswith("data:"):
                            opened += 1
                            break
                    await asyncio.sleep(seconds + 2)

            tasks = [asyncio.create_task(one(job)) for job in jobs]
            while opened < len(jobs):
                await asyncio.sleep(0.1)
            start = _cpu_seconds(api.proc.pid)
            await asyncio.sleep(seconds)
            spent = _cpu_seconds(api.proc.pid) - start
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return opened, spent

    opened, spent = asyncio.run(hold_streams(4.0))
    assert opened == 200
    assert spent / 4.0 < 0.1, f"200 idle streams used {spent / 4.0:.0%} of a core"
