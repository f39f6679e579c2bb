"""Local object storage: files under unguessable keys, owner and expiry in a sidecar, staged uploads."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from ltxserve.files.errors import StorageError

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
META = ".meta.json"
PARTS = ".parts"
TMP_GRACE_S = 3600.0


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

    def write(self, key: str, chunks: Iterable[bytes], limit: int | None = None) -> ObjectMeta:
        """Fill a reserved object from chunks, refusing more than `limit` bytes."""
        meta = self.meta(key, include_incomplete=True)
        if meta is None:
            raise StorageError("no such object")
        path = self._dir(key) / meta.file_name
        size = 0
        try:
            with path.open("wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise StorageError("file too large")
                    out.write(chunk)
        except (OSError, StorageError):
            path.unlink(missing_ok=True)  # a partial file is never served or left to fill the disk
            raise
        done = ObjectMeta(**{**asdict(meta), "size": size, "complete": True, "upload_secret": None})
        self._write_meta(done)
        return done

    def write_part(self, key: str, upload_id: str, part: int, data: bytes) -> str:
        """Store one part of a multipart upload; returns its ETag."""
        if not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", upload_id) or not 1 <= part <= 10_000:
            raise StorageError("invalid multipart upload")
        parts = self._dir(key) / PARTS / upload_id
        parts.mkdir(parents=True, exist_ok=True)
        (parts / f"{part:05d}").write_bytes(data)
        return f'"{secrets.token_hex(8)}-{len(data)}"'

    def complete_parts(
        self, key: str, upload_id: str, part_numbers: list[int], limit: int | None
    ) -> ObjectMeta:
        """Join uploaded parts in order into the object."""
        parts = self._dir(key) / PARTS / upload_id
        files = [parts / f"{n:05d}" for n in sorted(part_numbers)]
        if not files or not all(f.is_file() for f in files):
            raise StorageError("missing multipart parts")
        meta = self.write(key, (f.read_bytes() for f in files), limit)
        shutil.rmtree(self._dir(key) / PARTS, ignore_errors=True)
        return meta

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

    def read(self, key: str) -> tuple[ObjectMeta, bytes] | None:
        meta = self.meta(key)
        return (meta, self.path(meta).read_bytes()) if meta else None

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
