"""Opening the configured object storage: the data dir's `files/`, or S3 when a storage URL is set."""

from __future__ import annotations

from ltxserve.files.objects import ObjectStore
from ltxserve.files.storage import LocalStorage
from ltxserve.settings import Settings


def open_storage(settings: Settings) -> ObjectStore:
    """Where outputs and uploads go; S3 keeps its metadata in PostgreSQL when a database is set."""
    if not settings.storage_url:
        return LocalStorage(settings.storage_dir, settings.retention_s)
    from ltxserve.files.object_index import ObjectIndex, PostgresObjectIndex, SidecarIndex
    from ltxserve.files.s3 import S3Storage, parse_storage_url, s3_client

    client = s3_client()
    bucket, prefix = parse_storage_url(settings.storage_url)
    index: ObjectIndex = (
        PostgresObjectIndex(settings.database_url)
        if settings.database_url
        else SidecarIndex(client, bucket, prefix)
    )
    return S3Storage(settings.storage_url, settings.retention_s, index, client)
