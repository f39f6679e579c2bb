"""LISTEN/NOTIFY: one connection per process hears every job change and wakes the streams waiting on it."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import psycopg

from ltxserve.jobs.changes import QUEUE_MOVED, ChangeFeed

CHANNEL = "ltxserve_jobs"
log = logging.getLogger("ltxserve.jobs")


class Listener:
    """Started on the first stream; reconnects after a lost connection (and then wakes everyone once)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.feed: ChangeFeed | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._conn: psycopg.Connection | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pg-listen", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.cancel_safe()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    self._conn = conn
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._wake_all()  # anything missed while (re)connecting
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            if self.feed is not None:
                                self.feed.notify(note.payload)
            except Exception as exc:
                if self._stop.is_set():
                    return
                log.warning("status notifications lost (%s); reconnecting", exc)
                time.sleep(1.0)

    def _wake_all(self) -> None:
        if self.feed is not None:
            for request_id in self.feed.subscribed():
                self.feed.notify(request_id)
            self.feed.notify(QUEUE_MOVED)
