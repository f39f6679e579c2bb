"""The embedded store's tables (SQLite in WAL mode)."""

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT UNIQUE NOT NULL,
    endpoint_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    input TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT,
    priority INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    started_at REAL,
    completed_at REAL,
    start_deadline REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_expires REAL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    result TEXT,
    failure TEXT,
    webhook_url TEXT,
    base_url TEXT NOT NULL DEFAULT '',
    store_io INTEGER NOT NULL DEFAULT 1,
    object_ttl_s INTEGER,
    expires_at REAL,
    inference_time REAL,
    steps INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (status, priority, seq);
CREATE INDEX IF NOT EXISTS jobs_expiry ON jobs (expires_at);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner, seq);
CREATE TABLE IF NOT EXISTS logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    message TEXT NOT NULL,
    level TEXT NOT NULL,
    timestamp TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_job ON logs (request_id, seq);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    url TEXT NOT NULL,
    owner TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS webhooks_due ON webhooks (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS workers (
    worker_id TEXT PRIMARY KEY,
    pid INTEGER,
    device TEXT,
    state TEXT NOT NULL,
    current_job TEXT,
    last_seen REAL NOT NULL,
    endpoints TEXT,
    host TEXT,
    error TEXT,
    memory_plan TEXT
);
"""

# Columns added after the first release: (table, column, definition), applied to older data dirs.
ADDED_COLUMNS = [
    ("jobs", "version", "INTEGER NOT NULL DEFAULT 0"),
    ("workers", "endpoints", "TEXT"),
    ("workers", "host", "TEXT"),
    ("workers", "error", "TEXT"),
    ("workers", "memory_plan", "TEXT"),
]


def migrate(conn: sqlite3.Connection) -> None:
    """Bring a store written by an older release up to `SCHEMA` (idempotent)."""
    for table, column, definition in ADDED_COLUMNS:
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column in have:
            continue
        try:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        except sqlite3.OperationalError as exc:  # another process added it first
            if "duplicate column" not in str(exc):
                raise
