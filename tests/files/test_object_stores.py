"""The object storage contract on every backend: local files, S3 with sidecar metadata, S3 + PostgreSQL."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from ltxserve.files.errors import StorageError
from ltxserve.files.objects import ObjectStore
from ltxserve.files.storage import LocalStorage

pytestmark = pytest.mark.timeout(120)
MIB = 1024 * 1024


@pytest.fixture(params=["local", "s3", "s3+postgres"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "local":
        yield LocalStorage(tmp_path / "files", retention_s=600)
        return
    from ltxserve.files.object_index import ObjectIndex, PostgresObjectIndex, SidecarIndex
    from ltxserve.files.s3 import S3Storage, s3_client

    server = request.getfixturevalue("s3_server")
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    client = s3_client()
    index: ObjectIndex
    if request.param == "s3":
        index = SidecarIndex(client, server.bucket, prefix)
    else:
        index = PostgresObjectIndex(request.getfixturevalue("database_url"))
    yield S3Storage(f"s3://{server.bucket}/{prefix}", 600, index, client)
    if isinstance(index, PostgresObjectIndex):
        index.close()


def _download(storage: ObjectStore, key: str) -> bytes:
    meta = storage.meta(key)
    assert meta is not None
    url = storage.download_url(meta)
    if url is None:  # served by the API itself
        path = storage.local_path(meta)
        assert path is not None
        return path.read_bytes()
    response = httpx.get(url)
    assert response.status_code == 200
    return response.content


def test_a_streamed_upload_larger_than_one_part_round_trips(storage: ObjectStore) -> None:
    meta = storage.reserve("clip.mp4", "video/mp4", "owner-a")
    assert storage.meta(meta.key) is None  # not served while uploading
    pieces = [bytes([i]) * (3 * MIB) for i in range(4)]  # 12 MiB: more than one S3 part
    done = storage.write(meta.key, pieces)
    assert done.size == 12 * MIB
    assert done.complete
    assert done.owner == "owner-a"
    assert _download(storage, meta.key) == b"".join(pieces)


def test_multipart_parts_are_joined_in_order(storage: ObjectStore) -> None:
    meta = storage.reserve("big.bin", "application/octet-stream", "o")
    upload = "upload-0001"
    for number, fill in [(2, b"b"), (1, b"a"), (3, b"c")]:
        sink = storage.part_writer(meta.key, upload, number)
        sink.write(fill * MIB)
        assert sink.close()
    done = storage.complete_parts(meta.key, upload, [3, 1, 2], limit=None)
    assert done.size == 3 * MIB
    assert _download(storage, meta.key) == b"a" * MIB + b"b" * MIB + b"c" * MIB


def test_an_upload_over_the_limit_leaves_nothing(storage: ObjectStore) -> None:
    meta = storage.reserve("x.bin", "application/octet-stream", "o")
    with pytest.raises(StorageError, match="too large"):
        storage.write(meta.key, [b"x" * MIB, b"x" * MIB], limit=MIB + 10)
    assert storage.meta(meta.key) is None


def test_objects_expire_with_their_retention(storage: ObjectStore, monkeypatch: Any) -> None:
    short = storage.put(b"short", file_name="a.txt", content_type="text/plain", owner="o", ttl_s=60)
    kept = storage.put(b"kept", file_name="b.txt", content_type="text/plain", owner="o")
    url = storage.download_url(short)
    if url is not None:  # a presigned URL expires with the object, not later
        query = parse_qs(urlparse(url).query)
        assert int(query["X-Amz-Expires"][0]) <= 60
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    assert storage.meta(short.key) is None
    assert storage.purge_expired() == 1
    assert storage.meta(kept.key) is not None
