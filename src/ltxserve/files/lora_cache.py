"""LoRA files on disk, stored once per URL, verified by content hash, evicted least-recently-used.

Layout under the cache folder, per URL (key = sha256 of the URL):
    <key>.safetensors   the file, only ever created by an atomic rename of a finished download
    <key>.json          {"url", "sha256", "size", "last_used"}
    <key>.lock          an flock held while one process downloads or checks that entry
so concurrent requests for one URL (threads or worker processes) download it once, a partial download is
never used, and a file whose bytes no longer match its recorded hash is fetched again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

Download = Callable[[Path], None]  # writes the whole file at the given path, or raises


@dataclass(frozen=True)
class CacheEntry:
    url: str
    sha256: str
    size: int
    last_used: float


class LoraCache:
    """Download-once cache for LoRA URLs with a size budget."""

    def __init__(self, root: Path, budget_bytes: int, grace_s: float = 900.0) -> None:
        self.root = root
        self.budget_bytes = budget_bytes
        # Entries used this recently are never evicted: a request may still be about to read them.
        self.grace_s = grace_s
        self.root.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._verified: set[tuple[str, int, int]] = set()  # (key, size, mtime) hashed in this process

    def get(self, url: str, download: Download) -> Path:
        """The local file for `url`, downloading it (once) if it is missing or damaged."""
        key = hashlib.sha256(url.encode()).hexdigest()
        path = self.root / f"{key}.safetensors"
        with self._exclusive(key):
            entry = self._entry(key)
            if entry is None or not self._intact(key, path, entry):
                entry = self._fetch(key, url, path, download)
            self._write_entry(key, CacheEntry(url, entry.sha256, entry.size, time.time()))
        self.evict()
        return path

    def evict(self) -> None:
        """Remove least-recently-used entries until the cache fits its budget (never one in use)."""
        entries = []
        for meta in self.root.glob("*.json"):
            key = meta.stem
            entry = self._entry(key)
            if entry is not None:
                entries.append((entry.last_used, key, entry.size))
        total = sum(size for _, _, size in entries)
        recent = time.time() - self.grace_s
        for last_used, key, size in sorted(entries):
            if total <= self.budget_bytes or last_used > recent:
                break
            with self._try_exclusive(key) as held:
                if not held:  # another process is using or fetching it
                    continue
                (self.root / f"{key}.safetensors").unlink(missing_ok=True)
                (self.root / f"{key}.json").unlink(missing_ok=True)
                total -= size

    def _fetch(self, key: str, url: str, path: Path, download: Download) -> CacheEntry:
        part = self.root / f"{key}.{uuid.uuid4().hex}.part"
        try:
            download(part)
            digest, size = _sha256(part)
            os.replace(part, path)
        finally:
            part.unlink(missing_ok=True)
        stat = path.stat()
        self._verified.add((key, stat.st_size, stat.st_mtime_ns))
        return CacheEntry(url, digest, size, time.time())

    def _intact(self, key: str, path: Path, entry: CacheEntry) -> bool:
        """The file exists and hashes to what was recorded (hashed once per process per file version)."""
        try:
            stat = path.stat()
        except FileNotFoundError:
            return False
        if stat.st_size != entry.size:
            return False
        version = (key, stat.st_size, stat.st_mtime_ns)
        if version not in self._verified:
            if _sha256(path)[0] != entry.sha256:
                return False
            self._verified.add(version)
        return True

    def _entry(self, key: str) -> CacheEntry | None:
        try:
            return CacheEntry(**json.loads((self.root / f"{key}.json").read_text()))
        except (FileNotFoundError, ValueError, TypeError):
            return None

    def _write_entry(self, key: str, entry: CacheEntry) -> None:
        tmp = self.root / f"{key}.json.{uuid.uuid4().hex}"
        tmp.write_text(json.dumps(entry.__dict__))
        os.replace(tmp, self.root / f"{key}.json")

    @contextlib.contextmanager
    def _exclusive(self, key: str) -> Iterator[None]:
        """One holder per key: a thread lock within the process, an flock across processes."""
        with self._thread_lock(key), open(self.root / f"{key}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _try_exclusive(self, key: str) -> Iterator[bool]:
        lock = self._thread_lock(key)
        if not lock.acquire(blocking=False):
            yield False
            return
        try:
            with open(self.root / f"{key}.lock", "a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    yield False
                    return
                try:
                    yield True
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            lock.release()

    def _thread_lock(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())


def _sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
