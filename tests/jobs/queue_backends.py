"""Test helpers for the queue backends: a clock tests move."""

from __future__ import annotations

from collections.abc import Callable

from ltxserve.jobs.queue import JobQueue

OpenQueue = Callable[..., JobQueue]


class FakeClock:
    """Seconds since the epoch that move only when a test says so."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
