"""Opening the configured `JobQueue`: SQLite in the data dir, or PostgreSQL when a database URL is set."""

from __future__ import annotations

from ltxserve.jobs.queue import JobQueue
from ltxserve.jobs.store import JobStore
from ltxserve.settings import Settings


def open_queue(settings: Settings) -> JobQueue:
    """The queue every process of one deployment shares (PostgreSQL refuses an unmigrated database)."""
    if settings.database_url:
        from ltxserve.jobs.postgres.queue import PostgresQueue
        from ltxserve.jobs.postgres.schema import SchemaOutdated

        try:
            return PostgresQueue(
                settings.database_url,
                settings.retention_s,
                settings.lease_s,
                pool_size=settings.database_pool_size,
            )
        except SchemaOutdated as exc:  # one clear line instead of a traceback
            raise SystemExit(f"ltxserve: {exc}") from None
    return JobStore(settings.db_path, settings.retention_s)


def migrate_database(url: str) -> list[str]:
    """Install procrastinate's schema and apply our migrations (idempotent); returns what was done."""
    import psycopg

    from ltxserve.jobs.postgres import schema
    from ltxserve.jobs.postgres.dispatch import Dispatch

    done: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        if not schema.procrastinate_installed(conn):
            dispatch = Dispatch(url)
            try:
                dispatch.apply_schema()
            finally:
                dispatch.close()
            done.append("procrastinate schema installed")
        done += [f"ltxserve migration {v} applied" for v in schema.migrate(conn)]
    return done
