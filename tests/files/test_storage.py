"""Local storage: unguessable keys, owners, staged uploads and multipart, expiry."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ltxserve.files.errors import StorageError
from ltxserve.files.storage import LocalStorage, object_key_from_url, safe_file_name


def test_put_read_and_url_round_trip(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, retention_s=60)
    meta = storage.put(b"data", file_name="../../etc/passwd", content_type="text/plain", owner="o")
    token, name = meta.key.split("/")
    assert len(token) >= 24
    assert name == "passwd"
    assert storage.read(meta.key) == (meta, b"data")
    assert object_key_from_url(f"https://host/files/{meta.key}?x=1") == meta.key
    assert object_key_from_url("https://host/other/a/b") is None


def test_reserved_objects_are_invisible_until_written(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, retention_s=60)
    meta = storage.reserve("a.wav", "audio/wav", "o")
    assert storage.meta(meta.key) is None
    assert meta.upload_secret
    storage.write_part(meta.key, meta.upload_secret, 2, b"cd")
    storage.write_part(meta.key, meta.upload_secret, 1, b"ab")
    done = storage.complete_parts(meta.key, meta.upload_secret, [2, 1], limit=10)
    assert storage.read(meta.key) == (done, b"abcd")
    with pytest.raises(StorageError):
        storage.write(storage.reserve("b", "x/y", "o").key, [b"12345"], limit=4)


def test_expired_objects_vanish_and_are_purged(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, retention_s=60)
    meta = storage.put(b"x", file_name="x", content_type="a/b", owner="o", ttl_s=1)
    storage.put(b"y", file_name="y", content_type="a/b", owner="o")
    time.sleep(1.1)
    assert storage.meta(meta.key) is None
    assert storage.purge_expired() == 1
    assert len(list(tmp_path.iterdir())) == 1


def test_bad_keys_are_refused(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, retention_s=60)
    assert storage.meta("../x/y") is None
    assert storage.meta("short/x") is None
    assert safe_file_name("") == "file.bin"
    assert safe_file_name("a b?.mp4") == "a_b_.mp4"
