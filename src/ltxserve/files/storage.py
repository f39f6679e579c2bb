"""Local object storage: files under unguessable keys, owner and expiry in a sidecar, staged uploads."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

from ltxserve.files.errors import StorageError

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
META = ".meta.json"
PARTS = ".parts"
TMP_GRACE_S = 3600.0
T_co = TypeVar("T_co", covariant=True)


def probe_writable(folder: Path) -> str | None:
    """None when a file can be created in `folder`; else why not (read-only, full, missing)."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
    except OSError as exc:
        return f"{folder}: {exc.strerror or exc}"
    return None


@dataclass(frozen=True)
class ObjectMeta:
    """What is known about a stored object besides its bytes."""

    key: str
    file_name: str
    content_type: str
    owner: str
    expires_at: float | None
    size: int = 0
    complete: bool = True
    upload_secret: str | None = None


def safe_file_name(name: str | None, default: str = "file.bin") -> str:
    """A name that is safe as one path component and in a URL."""
    cleaned = _SAFE_NAME.sub("_", (name or "").rsplit("/", 1)[-1]).strip("._")
    return cleaned[:120] or default


class LocalStorage:
    """Objects at `root/<token>/<name>`; the token (144 random bits) is the capability."""

    def __init__(self, root: Path, retention_s: int) -> None:
        self.root = root
        self.retention_s = retention_s
        root.mkdir(parents=True, exist_ok=True)

    def _dir(self, key: str) -> Path:
        token = key.split("/", 1)[0]
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token):
            raise StorageError("invalid object key")
        return self.root / token

    def _expiry(self, ttl_s: int | None) -> float:
        return time.time() + (ttl_s if ttl_s else self.retention_s)

    def reserve(
        self, file_name: str | None, content_type: str, owner: str, ttl_s: int | None = None
    ) -> ObjectMeta:
        """Create an empty, incomplete object that an upload will fill."""
        key = f"{secrets.token_urlsafe(18)}/{safe_file_name(file_name)}"
        meta = ObjectMeta(
            key,
            key.split("/", 1)[1],
            content_type,
            owner,
            self._expiry(ttl_s),
            0,
            False,
            secrets.token_urlsafe(18),
        )
        self._dir(key).mkdir(parents=True)
        self._write_meta(meta)
        return meta

    def put(
        self, data: bytes, *, file_name: str | None, content_type: str, owner: str, ttl_s: int | None = None
    ) -> ObjectMeta:
        """Store bytes under a new key; on a full or read-only disk nothing of it is left behind."""
        meta = self.reserve(file_name, content_type, owner, ttl_s)
        try:
            return self.write(meta.key, [data])
        except OSError:
            shutil.rmtree(self._dir(meta.key), ignore_errors=True)
            raise

    def writer(self, key: str, limit: int | None = None) -> LocalWriter:
        """A sink that streams a reserved object's bytes to disk; `close()` marks it complete."""
        meta = self.meta(key, include_incomplete=True)
        if meta is None:
            raise StorageError("no such object")
        return LocalWriter(self, meta, self._dir(key) / meta.file_name, limit)

    def write(self, key: str, chunks: Iterable[bytes], limit: int | None = None) -> ObjectMeta:
        """Fill a reserved object from chunks, refusing more than `limit` bytes."""
        return fill(self.writer(key, limit), chunks)

    def part_writer(self, key: str, upload_id: str, part: int) -> PartWriter:
        """A sink for one part of a multipart upload; `close()` returns its ETag."""
        if not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", upload_id) or not 1 <= part <= 10_000:
            raise StorageError("invalid multipart upload")
        parts = self._dir(key) / PARTS / upload_id
        parts.mkdir(parents=True, exist_ok=True)
        return PartWriter(parts / f"{part:05d}")

    def write_part(self, key: str, upload_id: str, part: int, data: bytes) -> str:
        """Store one part of a multipart upload; returns its ETag."""
        return fill(self.part_writer(key, upload_id, part), [data])

    def complete_parts(
        self, key: str, upload_id: str, part_numbers: list[int], limit: int | None
    ) -> ObjectMeta:
        """Join uploaded parts in order into the object (streamed: parts are never read whole)."""
        parts = self._dir(key) / PARTS / upload_id
        files = [parts / f"{n:05d}" for n in sorted(part_numbers)]
        if not files or not all(f.is_file() for f in files):
            raise StorageError("missing multipart parts")
        meta = self.write(key, (chunk for f in files for chunk in _file_chunks(f)), limit)
        shutil.rmtree(self._dir(key) / PARTS, ignore_errors=True)
        return meta

    def _completed(self, meta: ObjectMeta, size: int) -> ObjectMeta:
        done = ObjectMeta(**{**asdict(meta), "size": size, "complete": True, "upload_secret": None})
        self._write_meta(done)
        return done

    def meta(self, key: str, include_incomplete: bool = False) -> ObjectMeta | None:
        """The object's metadata, or None when missing, expired or (by default) still uploading."""
        try:
            meta_path = self._dir(key) / META
            meta = ObjectMeta(**json.loads(meta_path.read_text()))
        except (StorageError, OSError, ValueError, TypeError):
            return None
        if meta.key != key or (meta.expires_at is not None and meta.expires_at < time.time()):
            return None
        if not meta.complete and not include_incomplete:
            return None
        return meta

    def path(self, meta: ObjectMeta) -> Path:
        return self._dir(meta.key) / meta.file_name

    def local_path(self, meta: ObjectMeta) -> Path | None:
        """Where the bytes lie on this host (served with sendfile)."""
        return self.path(meta)

    def download_url(self, meta: ObjectMeta) -> str | None:
        """A direct URL for the bytes; None: this server serves them itself."""
        return None

    def read_bytes(self, meta: ObjectMeta) -> bytes:
        return self.path(meta).read_bytes()

    def copy_to(self, meta: ObjectMeta, dest: Path) -> None:
        shutil.copyfile(self.path(meta), dest)

    def read(self, key: str) -> tuple[ObjectMeta, bytes] | None:
        meta = self.meta(key)
        return (meta, self.read_bytes(meta)) if meta else None

    def purge_expired(self) -> int:
        """Delete objects past their expiry; returns how many."""
        removed = 0
        now = time.time()
        for meta_path in self.root.glob(f"*/{META}"):
            try:
                expires = json.loads(meta_path.read_text()).get("expires_at")
            except (OSError, ValueError):
                continue
            if expires is not None and expires < now:
                shutil.rmtree(meta_path.parent, ignore_errors=True)
                removed += 1
        # Metadata writes interrupted by a crash or a full disk leave `.tmp` files behind.
        for tmp in self.root.glob(f"*/{META}.tmp"):
            with contextlib.suppress(OSError):
                if now - tmp.stat().st_mtime > TMP_GRACE_S:
                    tmp.unlink()
        return removed

    def _write_meta(self, meta: ObjectMeta) -> None:
        tmp = self._dir(meta.key) / f"{META}.tmp"
        tmp.write_text(json.dumps(asdict(meta)))
        tmp.replace(self._dir(meta.key) / META)


def object_key_from_url(url: str) -> str | None:
    """The storage key in one of our file URLs (`.../files/<token>/<name>`), whatever host served it."""
    match = re.search(r"/files/([A-Za-z0-9_-]{16,64}/[A-Za-z0-9._-]+)$", url.split("?", 1)[0])
    return match.group(1) if match else None


CHUNK_BYTES = 1024 * 1024


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            yield chunk


class Sink(Protocol[T_co]):
    """Where a stream of bytes goes: `write` each chunk, then `close()` (the result) or `abort()`."""

    def write(self, data: bytes) -> None: ...
    def close(self) -> T_co: ...
    def abort(self) -> None: ...


def fill(sink: Sink[T_co], chunks: Iterable[bytes]) -> T_co:
    """Feed chunks to a sink; anything raised leaves nothing behind."""
    try:
        for chunk in chunks:
            sink.write(chunk)
    except BaseException:
        sink.abort()
        raise
    return sink.close()


class LocalWriter:
    """Streams one object to its file, refusing more than `limit` bytes; a partial file never stays."""

    def __init__(self, storage: LocalStorage, meta: ObjectMeta, path: Path, limit: int | None) -> None:
        self.storage, self.meta, self.path, self.limit = storage, meta, path, limit
        self.size = 0
        self._out: BinaryIO = path.open("wb")

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.limit is not None and self.size > self.limit:
            raise StorageError("file too large")
        self._out.write(data)

    def close(self) -> ObjectMeta:
        try:
            self._out.close()
        except OSError:
            self.abort()
            raise
        return self.storage._completed(self.meta, self.size)

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._out.close()
        self.path.unlink(missing_ok=True)


class PartWriter:
    """Streams one multipart part to its own file; `close()` returns the ETag clients collect."""

    def __init__(self, path: Path) -> None:
        self.path, self.size = path, 0
        self._out: BinaryIO = path.open("wb")

    def write(self, data: bytes) -> None:
        self.size += len(data)
        self._out.write(data)

    def close(self) -> str:
        self._out.close()
        return f'"{secrets.token_hex(8)}-{self.size}"'

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._out.close()
        self.path.unlink(missing_ok=True)
