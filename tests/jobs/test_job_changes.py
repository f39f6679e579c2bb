"""Status streams wake on changes (same process or another one), and a quiet job costs no reads."""

from __future__ import annotations

import asyncio

import pytest

from ltxserve.jobs.records import NewJob

from .queue_backends import OpenQueue

pytestmark = pytest.mark.timeout(30)
APP = "fal-ai/ltx-2.3-quality/text-to-audio"


def _job(request_id: str) -> NewJob:
    return NewJob(request_id=request_id, endpoint_id=APP, owner="o", input={})


def test_a_stream_wakes_when_another_process_writes_and_sleeps_otherwise(open_queue: OpenQueue) -> None:
    api, worker = open_queue(), open_queue()  # two connections: the API's and a worker process's
    api.submit(_job("a"))
    api.submit(_job("b"))

    async def scenario() -> tuple[bool, bool, bool]:
        with api.changes.subscribe("a") as sub:
            await sub.wait(0.5)  # the watcher's first look may wake once (it cannot know what was read)
            sub.clear()
            quiet = await sub.wait(0.3)  # nothing happens to "a": no wake-up
            sub.clear()
            await asyncio.to_thread(worker.add_log, "a", "denoise: step 1/8")
            woken = await sub.wait(5)
            sub.clear()
            await asyncio.to_thread(worker.add_log, "b", "another job's line")
            other = await sub.wait(0.3)
        return quiet, woken, other

    quiet, woken, other = asyncio.run(scenario())
    assert (quiet, woken, other) == (False, True, False)
    assert api.changes.waiting() == 0


def test_a_queued_jobs_stream_wakes_when_the_queue_moves(open_queue: OpenQueue) -> None:
    api, worker = open_queue(), open_queue()
    api.submit(_job("first"))
    api.submit(_job("second"))

    async def scenario() -> bool:
        with api.changes.subscribe("second") as sub:
            sub.watch_queue = True
            sub.clear()
            await asyncio.to_thread(worker.claim, "w", 10)  # "first" leaves the queue
            return await sub.wait(5)

    assert asyncio.run(scenario())
    assert api.queue_position("second") == 0


def test_writes_in_the_same_process_wake_at_once(open_queue: OpenQueue) -> None:
    store = open_queue()
    store.submit(_job("a"))

    async def scenario() -> bool:
        with store.changes.subscribe("a") as sub:
            sub.clear()
            store.request_cancel("a")
            return await sub.wait(0.05)

    assert asyncio.run(scenario())
