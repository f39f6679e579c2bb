"""Where S3 objects' metadata (owner, expiry, upload state) lives: PostgreSQL, or sidecar objects."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any, Protocol

from ltxserve.files.storage import ObjectMeta

META = ".meta.json"
_COLUMNS = [f.name for f in fields(ObjectMeta)]


class ObjectIndex(Protocol):
    def get(self, key: str) -> ObjectMeta | None: ...
    def put(self, meta: ObjectMeta) -> None: ...
    def expired(self, now: float) -> list[str]: ...
    def delete(self, key: str) -> None: ...


class PostgresObjectIndex:
    """The `ltxserve_objects` table (created by `ltxserve db migrate`): every API host sees every upload."""

    def __init__(self, url: str, pool_size: int = 4) -> None:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        self.pool: Any = ConnectionPool(
            url, min_size=1, max_size=pool_size, kwargs={"row_factory": dict_row}, open=True
        )

    def get(self, key: str) -> ObjectMeta | None:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT * FROM ltxserve_objects WHERE key = %s", (key,)).fetchone()
        return ObjectMeta(**{c: row[c] for c in _COLUMNS}) if row else None

    def put(self, meta: ObjectMeta) -> None:
        values = asdict(meta)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS if c != "key")
        with self.pool.connection() as conn:
            conn.execute(
                f"INSERT INTO ltxserve_objects ({', '.join(_COLUMNS)}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
                f" ON CONFLICT (key) DO UPDATE SET {updates}",
                [values[c] for c in _COLUMNS],
            )

    def expired(self, now: float) -> list[str]:
        with self.pool.connection() as conn:
            rows = conn.execute("SELECT key FROM ltxserve_objects WHERE expires_at < %s", (now,)).fetchall()
        return [r["key"] for r in rows]

    def delete(self, key: str) -> None:
        with self.pool.connection() as conn:
            conn.execute("DELETE FROM ltxserve_objects WHERE key = %s", (key,))

    def close(self) -> None:
        self.pool.close()


class SidecarIndex:
    """A JSON object next to each object (`<token>/.meta.json`): S3 without a database."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def _name(self, key: str) -> str:
        token = key.split("/", 1)[0]
        return f"{self.prefix}/{token}/{META}" if self.prefix else f"{token}/{META}"

    def get(self, key: str) -> ObjectMeta | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"].read()
            meta = ObjectMeta(**json.loads(body))
        except (self.client.exceptions.NoSuchKey, ValueError, TypeError):
            return None
        return meta if meta.key == key else None

    def put(self, meta: ObjectMeta) -> None:
        body = json.dumps(asdict(meta)).encode()
        self.client.put_object(Bucket=self.bucket, Key=self._name(meta.key), Body=body)

    def expired(self, now: float) -> list[str]:
        keys = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else ""
        )
        for page in pages:
            for item in page.get("Contents", []):
                if item["Key"].endswith(META):
                    raw = self.client.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
                    meta = json.loads(raw)
                    if meta.get("expires_at") is not None and meta["expires_at"] < now:
                        keys.append(meta["key"])
        return keys

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
