"""S3-compatible object storage (AWS, MinIO, R2, ...): bytes in a bucket, served by presigned URLs.

Credentials, region and endpoint come from boto3's standard sources (`AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`, profiles, instance roles). Uploads stream
through S3 multipart uploads in `PART_BYTES` pieces, so the API never holds a whole file.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from ltxserve.files.errors import StorageError
from ltxserve.files.object_index import ObjectIndex
from ltxserve.files.storage import ObjectMeta, fill, safe_file_name

# S3's minimum part size is 5 MiB (all but the last); 8 MiB bounds the memory of one upload.
PART_BYTES = 8 * 1024 * 1024
# SigV4 presigned URLs live at most 7 days.
MAX_PRESIGN_S = 7 * 24 * 3600


def parse_storage_url(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix` → (bucket, prefix without slashes)."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"storage URL must look like s3://bucket/prefix, not {url!r}")
    return parsed.netloc, parsed.path.strip("/")


def s3_client() -> Any:
    """boto3's client from the standard AWS settings; path-style addressing off AWS (MinIO, moto)."""
    import boto3
    from botocore.config import Config

    endpoint = str(boto3.client("s3").meta.endpoint_url)
    style = "auto" if "amazonaws.com" in endpoint else "path"
    return boto3.client("s3", config=Config(signature_version="s3v4", s3={"addressing_style": style}))


class S3Storage:
    """Objects at `s3://bucket/prefix/<token>/<name>`; metadata (owner, expiry, state) in an index."""

    def __init__(self, url: str, retention_s: int, index: ObjectIndex, client: Any = None) -> None:
        self.bucket, self.prefix = parse_storage_url(url)
        self.retention_s = retention_s
        self.index = index
        self.client = client if client is not None else s3_client()

    def _object(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def reserve(
        self, file_name: str | None, content_type: str, owner: str, ttl_s: int | None = None
    ) -> ObjectMeta:
        name = safe_file_name(file_name)
        key = f"{secrets.token_urlsafe(18)}/{name}"
        expires = time.time() + (ttl_s if ttl_s else self.retention_s)
        meta = ObjectMeta(key, name, content_type, owner, expires, 0, False, secrets.token_urlsafe(18))
        self.index.put(meta)
        return meta

    def put(
        self, data: bytes, *, file_name: str | None, content_type: str, owner: str, ttl_s: int | None = None
    ) -> ObjectMeta:
        meta = self.reserve(file_name, content_type, owner, ttl_s)
        return self.write(meta.key, [data])

    def writer(self, key: str, limit: int | None = None) -> S3Writer:
        meta = self.meta(key, include_incomplete=True)
        if meta is None:
            raise StorageError("no such object")
        return S3Writer(self, self._object(key), meta.content_type, limit, meta)

    def write(self, key: str, chunks: Iterable[bytes], limit: int | None = None) -> ObjectMeta:
        return fill(self.writer(key, limit), chunks)

    def part_writer(self, key: str, upload_id: str, part: int) -> S3Writer:
        if not 1 <= part <= 10_000 or not upload_id.replace("-", "").replace("_", "").isalnum():
            raise StorageError("invalid multipart upload")
        token = key.split("/", 1)[0]
        return S3Writer(self, self._object(f"{token}/.parts/{upload_id}/{part:05d}"), None, None, None)

    def complete_parts(
        self, key: str, upload_id: str, part_numbers: list[int], limit: int | None
    ) -> ObjectMeta:
        """Stream the parts, in order, into the object (through this host, a part at a time)."""
        token = key.split("/", 1)[0]
        names = [self._object(f"{token}/.parts/{upload_id}/{n:05d}") for n in sorted(part_numbers)]
        if not names:
            raise StorageError("missing multipart parts")

        def chunks() -> Iterable[bytes]:
            for name in names:
                try:
                    body = self.client.get_object(Bucket=self.bucket, Key=name)["Body"]
                except self.client.exceptions.NoSuchKey:
                    raise StorageError("missing multipart parts") from None
                yield from body.iter_chunks(PART_BYTES)

        done = self.write(key, chunks(), limit)
        self._delete_prefix(self._object(f"{token}/.parts/"))
        return done

    def meta(self, key: str, include_incomplete: bool = False) -> ObjectMeta | None:
        meta = self.index.get(key)
        if meta is None or (meta.expires_at is not None and meta.expires_at < time.time()):
            return None
        if not meta.complete and not include_incomplete:
            return None
        return meta

    def local_path(self, meta: ObjectMeta) -> Path | None:
        return None

    def download_url(self, meta: ObjectMeta) -> str | None:
        """A presigned GET that expires with the object (at most S3's 7 days)."""
        left = (meta.expires_at - time.time()) if meta.expires_at else MAX_PRESIGN_S
        params = {
            "Bucket": self.bucket,
            "Key": self._object(meta.key),
            "ResponseContentType": meta.content_type,
            "ResponseContentDisposition": f"inline; filename*=UTF-8''{quote(meta.file_name)}",
        }
        return str(
            self.client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=max(1, min(int(left), MAX_PRESIGN_S))
            )
        )

    def read_bytes(self, meta: ObjectMeta) -> bytes:
        return bytes(self.client.get_object(Bucket=self.bucket, Key=self._object(meta.key))["Body"].read())

    def copy_to(self, meta: ObjectMeta, dest: Path) -> None:
        self.client.download_file(self.bucket, self._object(meta.key), str(dest))

    def purge_expired(self) -> int:
        """Delete expired objects (and their parts) and their index entries."""
        keys = self.index.expired(time.time())
        for key in keys:
            self._delete_prefix(self._object(key.split("/", 1)[0] + "/"))
            self.index.delete(key)
        return len(keys)

    def _delete_prefix(self, prefix: str) -> None:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        for page in pages:
            objects = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if objects:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects})

    def _completed(self, meta: ObjectMeta, size: int) -> ObjectMeta:
        done = ObjectMeta(**{**asdict(meta), "size": size, "complete": True, "upload_secret": None})
        self.index.put(done)
        return done


class S3Writer:
    """One object written in `PART_BYTES` pieces: a single PUT when small, a multipart upload otherwise."""

    def __init__(
        self,
        storage: S3Storage,
        name: str,
        content_type: str | None,
        limit: int | None,
        meta: ObjectMeta | None,
    ) -> None:
        self.storage, self.name, self.limit, self.meta = storage, name, limit, meta
        self.extra = {"ContentType": content_type} if content_type else {}
        self.size = 0
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    @property
    def _s3(self) -> Any:
        return self.storage.client

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.limit is not None and self.size > self.limit:
            raise StorageError("file too large")
        self._buffer += data
        while len(self._buffer) >= PART_BYTES:
            self._send(bytes(self._buffer[:PART_BYTES]))
            del self._buffer[:PART_BYTES]

    def _send(self, piece: bytes) -> None:
        bucket = self.storage.bucket
        if self._upload_id is None:
            started = self._s3.create_multipart_upload(Bucket=bucket, Key=self.name, **self.extra)
            self._upload_id = started["UploadId"]
        number = len(self._parts) + 1
        sent = self._s3.upload_part(
            Bucket=bucket, Key=self.name, UploadId=self._upload_id, PartNumber=number, Body=piece
        )
        self._parts.append({"PartNumber": number, "ETag": sent["ETag"]})

    def close(self) -> Any:
        bucket = self.storage.bucket
        try:
            if self._upload_id is None:
                sent = self._s3.put_object(
                    Bucket=bucket, Key=self.name, Body=bytes(self._buffer), **self.extra
                )
                etag = sent["ETag"]
            else:
                if self._buffer:
                    self._send(bytes(self._buffer))
                done = self._s3.complete_multipart_upload(
                    Bucket=bucket,
                    Key=self.name,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
                etag = done["ETag"]
        except BaseException:
            self.abort()
            raise
        self._buffer = bytearray()
        if self.meta is None:
            return str(etag)
        return self.storage._completed(self.meta, self.size)

    def abort(self) -> None:
        self._buffer = bytearray()
        if self._upload_id is not None:
            with contextlib.suppress(Exception):
                self._s3.abort_multipart_upload(
                    Bucket=self.storage.bucket, Key=self.name, UploadId=self._upload_id
                )
