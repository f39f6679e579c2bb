"""Opening the configured `JobQueue`: SQLite in the data dir, or PostgreSQL when a database URL is set."""

from __future__ import annotations

from ltxserve.jobs.queue import JobQueue
from ltxserve.jobs.store import JobStore
from ltxserve.settings import Settings


def open_queue(settings: Settings) -> JobQueue:
    """The queue every process of one deployment shares."""
    return JobStore(settings.db_path, settings.retention_s)
