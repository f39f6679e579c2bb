"""Our PostgreSQL tables, as numbered migrations applied by `ltxserve db migrate` (checked at start)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import tuple_row

# Never edit a released migration: append a new one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE ltxserve_jobs (
        seq BIGSERIAL PRIMARY KEY,
        request_id TEXT UNIQUE NOT NULL,
        endpoint_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        input JSONB NOT NULL,
        status TEXT NOT NULL,
        outcome TEXT,
        priority INTEGER NOT NULL DEFAULT 0,
        created_at DOUBLE PRECISION NOT NULL,
        started_at DOUBLE PRECISION,
        completed_at DOUBLE PRECISION,
        start_deadline DOUBLE PRECISION,
        attempts INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_expires DOUBLE PRECISION,
        cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
        result JSONB,
        failure JSONB,
        webhook_url TEXT,
        base_url TEXT NOT NULL DEFAULT '',
        store_io BOOLEAN NOT NULL DEFAULT TRUE,
        object_ttl_s INTEGER,
        expires_at DOUBLE PRECISION,
        inference_time DOUBLE PRECISION,
        steps INTEGER NOT NULL DEFAULT 0,
        queue_job_id BIGINT
    );
    CREATE INDEX ltxserve_jobs_queue ON ltxserve_jobs (status, priority, seq);
    CREATE INDEX ltxserve_jobs_expiry ON ltxserve_jobs (expires_at);
    CREATE INDEX ltxserve_jobs_owner ON ltxserve_jobs (owner, seq);
    CREATE INDEX ltxserve_jobs_deadline ON ltxserve_jobs (start_deadline) WHERE status = 'IN_QUEUE';
    CREATE INDEX ltxserve_jobs_lease ON ltxserve_jobs (lease_expires) WHERE status = 'IN_PROGRESS';
    CREATE TABLE ltxserve_logs (
        seq BIGSERIAL PRIMARY KEY,
        request_id TEXT NOT NULL,
        message TEXT NOT NULL,
        level TEXT NOT NULL,
        timestamp TEXT NOT NULL
    );
    CREATE INDEX ltxserve_logs_job ON ltxserve_logs (request_id, seq);
    CREATE TABLE ltxserve_webhooks (
        id BIGSERIAL PRIMARY KEY,
        request_id TEXT NOT NULL,
        url TEXT NOT NULL,
        owner TEXT NOT NULL,
        body TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at DOUBLE PRECISION NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        last_error TEXT
    );
    CREATE INDEX ltxserve_webhooks_due ON ltxserve_webhooks (state, next_attempt_at);
    CREATE TABLE ltxserve_workers (
        worker_id TEXT PRIMARY KEY,
        pid INTEGER,
        device TEXT,
        state TEXT NOT NULL,
        current_job TEXT,
        last_seen DOUBLE PRECISION NOT NULL,
        endpoints JSONB,
        host TEXT,
        error TEXT
    );
    CREATE TABLE ltxserve_objects (
        key TEXT PRIMARY KEY,
        file_name TEXT NOT NULL,
        content_type TEXT NOT NULL,
        owner TEXT NOT NULL,
        expires_at DOUBLE PRECISION,
        size BIGINT NOT NULL DEFAULT 0,
        complete BOOLEAN NOT NULL DEFAULT FALSE,
        upload_secret TEXT
    );
    CREATE INDEX ltxserve_objects_expiry ON ltxserve_objects (expires_at);
    CREATE TABLE ltxserve_secrets (
        name TEXT PRIMARY KEY,
        value BYTEA NOT NULL
    );
    """,
    # 2: the worker's memory plan (profile, placement, part sizes, the device memory it planned for).
    """
    ALTER TABLE ltxserve_workers ADD COLUMN memory_plan JSONB;
    """,
]
LATEST = len(MIGRATIONS)
# Serialises concurrent `db migrate` runs (any constant shared by all ltxserve processes).
_LOCK_ID = 0x17C5E7E


class SchemaOutdated(RuntimeError):
    """The database is missing migrations: run `ltxserve db migrate`."""


def _scalar(conn: psycopg.Connection[Any], query: str) -> Any:
    row = conn.cursor(row_factory=tuple_row).execute(query).fetchone()
    return row[0] if row else None


def applied_version(conn: psycopg.Connection[Any]) -> int:
    if not _scalar(conn, "SELECT to_regclass('ltxserve_migrations') IS NOT NULL"):
        return 0
    return int(_scalar(conn, "SELECT COALESCE(MAX(version), 0) FROM ltxserve_migrations"))


def procrastinate_installed(conn: psycopg.Connection[Any]) -> bool:
    return bool(_scalar(conn, "SELECT to_regclass('procrastinate_jobs') IS NOT NULL"))


def migrate(conn: psycopg.Connection[Any]) -> list[int]:
    """Apply the missing migrations in one transaction; returns the versions applied."""
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS ltxserve_migrations"
            " (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        for version in range(applied_version(conn) + 1, LATEST + 1):
            conn.execute(MIGRATIONS[version - 1])
            conn.execute("INSERT INTO ltxserve_migrations (version) VALUES (%s)", (version,))
            applied.append(version)
    return applied


def check(conn: psycopg.Connection[Any]) -> None:
    """Refuse to start on a database that `ltxserve db migrate` has not brought up to date."""
    version = applied_version(conn)
    if version < LATEST or not procrastinate_installed(conn):
        raise SchemaOutdated(
            f"the database schema is at version {version} of {LATEST}"
            f"{'' if procrastinate_installed(conn) else ' and has no procrastinate tables'}:"
            " run `ltxserve db migrate` first"
        )
    if version > LATEST:
        raise SchemaOutdated(f"the database schema ({version}) is newer than this ltxserve ({LATEST})")
