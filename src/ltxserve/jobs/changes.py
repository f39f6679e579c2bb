"""Wake-ups for status streams: writers notify a job's id, streams wait on it (no polling loop per stream).

Within a process the store notifies directly. Changes made by other processes arrive through one
`ChangeSource` per process: PostgreSQL pushes them (LISTEN/NOTIFY); SQLite has no push, so one watcher
thread, running only while someone waits, asks the file whether anything was committed since its last
look (`PRAGMA data_version`, a read of the shared header) and which of the waited jobs moved.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Collection
from typing import Protocol

WATCH_INTERVAL_S = 0.1
# Notified when a job leaves or enters the queue: queued jobs' positions moved.
QUEUE_MOVED = "*queue*"


class ChangeSource(Protocol):
    """Which of `request_ids` changed since the previous call (SQLite's cross-process watcher)."""

    def changed(self, request_ids: Collection[str]) -> Collection[str]: ...


class ChangeFeed:
    """Subscriptions keyed by request id; `notify` may be called from any thread."""

    def __init__(
        self,
        source: ChangeSource | None = None,
        interval_s: float = WATCH_INTERVAL_S,
        on_subscribe: Callable[[], None] | None = None,
    ) -> None:
        """`source`: the polled watcher (SQLite); `on_subscribe`: starts a pushing one (LISTEN) lazily."""
        self._source, self._interval_s, self._on_subscribe = source, interval_s, on_subscribe
        self._lock = threading.Lock()
        self._subs: dict[str, set[Subscription]] = {}
        self._wake = threading.Condition(self._lock)
        self._watcher: threading.Thread | None = None
        self._closed = False

    def notify(self, request_id: str) -> None:
        """Wake every stream waiting on this job (`QUEUE_MOVED`: every stream of a queued job)."""
        with self._lock:
            if request_id == QUEUE_MOVED:
                subs = [s for group in self._subs.values() for s in group if s.watch_queue]
            else:
                subs = list(self._subs.get(request_id, ()))
        for sub in subs:
            sub.set()

    def subscribe(self, request_id: str) -> Subscription:
        """Register before reading the job's state, so no change between the read and the wait is missed."""
        sub = Subscription(self, request_id, asyncio.get_running_loop())
        if self._on_subscribe is not None:
            self._on_subscribe()
        with self._lock:
            self._subs.setdefault(request_id, set()).add(sub)
            self._start_watcher()
        return sub

    def _drop(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.request_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[sub.request_id]

    def subscribed(self) -> list[str]:
        with self._lock:
            return list(self._subs)

    def waiting(self) -> int:
        with self._lock:
            return sum(len(s) for s in self._subs.values())

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._wake.notify_all()

    def _start_watcher(self) -> None:
        # Called with the lock held.
        if self._source is None:
            return
        if self._watcher is None or not self._watcher.is_alive():
            self._watcher = threading.Thread(target=self._watch, name="job-changes", daemon=True)
            self._watcher.start()
        self._wake.notify_all()

    def _watch(self) -> None:
        assert self._source is not None
        while True:
            with self._lock:
                while not self._subs and not self._closed:
                    self._wake.wait()  # idle: nobody streams, nothing to look at
                if self._closed:
                    return
                ids = list(self._subs)
            try:
                for request_id in self._source.changed(ids):
                    self.notify(request_id)
            except Exception:  # a locked or closing database: look again next tick
                pass
            with self._lock:
                self._wake.wait(self._interval_s)


class Subscription:
    """One stream's interest in one job: `clear()` before reading, then `wait()`."""

    def __init__(self, feed: ChangeFeed, request_id: str, loop: asyncio.AbstractEventLoop) -> None:
        self.feed, self.request_id, self._loop = feed, request_id, loop
        self._event = asyncio.Event()
        # Set while the job is queued: its position changes when other jobs move.
        self.watch_queue = False

    def set(self) -> None:
        with contextlib.suppress(RuntimeError):  # the stream's loop is closed
            self._loop.call_soon_threadsafe(self._event.set)

    def clear(self) -> None:
        self._event.clear()

    async def wait(self, timeout_s: float) -> bool:
        """True when the job changed since the last `clear()`, False after `timeout_s`."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout_s)
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.feed._drop(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
