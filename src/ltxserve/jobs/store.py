"""The embedded `JobQueue` on SQLite (WAL): submit, claim with a lease, heartbeat, finish once."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ltxserve.jobs.changes import QUEUE_MOVED, ChangeFeed
from ltxserve.jobs.queue import (
    SYSTEM_CLOCK,
    CancelReply,
    Clock,
    Heartbeat,
    WebhookDelivery,
    iso,
    webhook_body,
    worker_lost,
)
from ltxserve.jobs.records import (
    CANCELLED,
    MAX_ATTEMPTS,
    PRIORITIES,
    START_TIMEOUT,
    JobFailure,
    JobRecord,
    LogLevel,
    LogLine,
    NewJob,
    Outcome,
)
from ltxserve.jobs.schema import SCHEMA, migrate

# Every write to a job bumps its `version`, which the cross-process change watcher compares.
_BUMP = "version = version + 1"


class JobStore:
    """Jobs, logs, webhook deliveries and worker states in one SQLite file shared by processes."""

    def __init__(self, path: Path, retention_s: int = 7 * 24 * 3600, clock: Clock = SYSTEM_CLOCK) -> None:
        self.path = path
        self.retention_s = retention_s
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        conn = self._conn()
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)
        migrate(conn)
        self.changes = ChangeFeed(SqliteChanges(path))

    def close(self) -> None:
        self.changes.close()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction taken up front, so concurrent claimers serialise instead of deadlocking."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # -- jobs -------------------------------------------------------------------------------------

    def submit(self, job: NewJob) -> JobRecord:
        """Queue a new job."""
        now = self.clock()
        deadline = now + job.start_timeout_s if job.start_timeout_s else None
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO jobs (request_id, endpoint_id, owner, input, status, priority, created_at,"
                " start_deadline, webhook_url, base_url, store_io, object_ttl_s) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    job.request_id,
                    job.endpoint_id,
                    job.owner,
                    json.dumps(job.input),
                    "IN_QUEUE",
                    PRIORITIES[job.priority],
                    now,
                    deadline,
                    job.webhook_url,
                    job.base_url,
                    int(job.store_io),
                    job.object_ttl_s,
                ),
            )
        record = self.get(job.request_id)
        assert record is not None
        self._moved(job.request_id)
        return record

    def _moved(self, request_id: str) -> None:
        """Wake this job's streams and those of queued jobs (their positions changed)."""
        self.changes.notify(request_id)
        self.changes.notify(QUEUE_MOVED)

    def get(self, request_id: str) -> JobRecord | None:
        """The job, after failing it if its start deadline passed while queued."""
        self.expire_overdue()
        row = self._conn().execute("SELECT * FROM jobs WHERE request_id = ?", (request_id,)).fetchone()
        return _record(row) if row else None

    def queue_position(self, request_id: str) -> int:
        """How many queued jobs will be claimed before this one."""
        row = (
            self._conn()
            .execute(
                "SELECT COUNT(*) FROM jobs j, jobs me WHERE me.request_id = ? AND j.status = 'IN_QUEUE'"
                " AND (j.priority < me.priority OR (j.priority = me.priority AND j.seq < me.seq))",
                (request_id,),
            )
            .fetchone()
        )
        return int(row[0])

    def recent(self, owner: str, limit: int = 20, endpoint_id: str | None = None) -> list[JobRecord]:
        """The owner's newest jobs first (optionally of one endpoint): the playground's history."""
        self.expire_overdue()
        sql = "SELECT * FROM jobs WHERE owner = ?"
        args: list[Any] = [owner]
        if endpoint_id is not None:
            sql += " AND endpoint_id = ?"
            args.append(endpoint_id)
        rows = self._conn().execute(sql + " ORDER BY seq DESC LIMIT ?", (*args, limit))
        return [_record(row) for row in rows]

    def claim(
        self, worker_id: str, lease_s: float, endpoints: Collection[str] | None = None
    ) -> JobRecord | None:
        """Take the next queued job this worker can serve, or one whose lease expired, under a fresh lease."""
        now = self.clock()
        self.expire_overdue()
        where, args = _endpoint_filter(endpoints)
        with self._tx() as conn:
            while True:
                row = conn.execute(
                    "SELECT * FROM jobs WHERE (status = 'IN_QUEUE' OR (status = 'IN_PROGRESS'"
                    f" AND lease_expires < ?)){where} ORDER BY priority, seq LIMIT 1",
                    (now, *args),
                ).fetchone()
                if row is None:
                    return None
                if row["status"] == "IN_PROGRESS" and (
                    row["cancel_requested"] or row["attempts"] >= MAX_ATTEMPTS
                ):
                    # The worker died; a cancelled or repeatedly crashing job ends here instead of re-running.
                    failure = CANCELLED if row["cancel_requested"] else worker_lost()
                    outcome: Outcome = "cancelled" if row["cancel_requested"] else "error"
                    self._finish(conn, row, outcome, None, failure, now)
                    continue
                conn.execute(
                    "UPDATE jobs SET status = 'IN_PROGRESS', started_at = ?, attempts = attempts + 1,"
                    f" lease_owner = ?, lease_expires = ?, {_BUMP} WHERE seq = ?",
                    (now, worker_id, now + lease_s, row["seq"]),
                )
                if row["status"] == "IN_PROGRESS":
                    self._log(
                        conn, row["request_id"], "A worker stopped responding; running the job again", "WARN"
                    )
                break
        self._moved(row["request_id"])
        return self.get(row["request_id"])

    def heartbeat(self, request_id: str, worker_id: str, lease_s: float) -> Heartbeat:
        """Extend the lease while the worker still holds it."""
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE jobs SET lease_expires = ? WHERE request_id = ? AND lease_owner = ? AND status = 'IN_PROGRESS'",
                (self.clock() + lease_s, request_id, worker_id),
            )
            row = conn.execute(
                "SELECT cancel_requested FROM jobs WHERE request_id = ?", (request_id,)
            ).fetchone()
        return Heartbeat(owned=cur.rowcount == 1, cancel_requested=bool(row and row[0]))

    def cancel_requested(self, request_id: str) -> bool:
        """Whether a cancel was asked for this job (one indexed read: cheap enough for every step)."""
        row = (
            self._conn()
            .execute("SELECT cancel_requested FROM jobs WHERE request_id = ?", (request_id,))
            .fetchone()
        )
        return bool(row and row[0])

    def complete(self, request_id: str, worker_id: str, result: dict[str, Any]) -> bool:
        """Record the output; false when the lease was lost (another worker owns the job now)."""
        return self._finish_owned(request_id, worker_id, "ok", result, None)

    def fail(self, request_id: str, worker_id: str, failure: JobFailure, outcome: Outcome = "error") -> bool:
        """Record a failure or cancellation; false when the lease was lost."""
        return self._finish_owned(request_id, worker_id, outcome, None, failure)

    def _finish_owned(
        self,
        request_id: str,
        worker_id: str,
        outcome: Outcome,
        result: dict[str, Any] | None,
        failure: JobFailure | None,
    ) -> bool:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT * FROM jobs WHERE request_id = ? AND lease_owner = ? AND status = 'IN_PROGRESS'",
                (request_id, worker_id),
            ).fetchone()
            if row is None:
                return False
            self._finish(conn, row, outcome, result, failure, self.clock())
        self.changes.notify(request_id)
        return True

    def _finish(
        self,
        conn: sqlite3.Connection,
        row: sqlite3.Row,
        outcome: Outcome,
        result: dict[str, Any] | None,
        failure: JobFailure | None,
        now: float,
    ) -> None:
        """Mark a job COMPLETED once and queue its webhook in the same transaction."""
        started = row["started_at"]
        # The lifecycle preference (`object_ttl_s`) expires the job's media only; the record keeps retention.
        ttl = self.retention_s
        conn.execute(
            "UPDATE jobs SET status = 'COMPLETED', outcome = ?, completed_at = ?, result = ?, failure = ?,"
            " lease_owner = NULL, lease_expires = NULL, expires_at = ?, inference_time = ?,"
            f" input = CASE WHEN store_io THEN input ELSE '{{}}' END, {_BUMP} WHERE seq = ?",
            (
                outcome,
                now,
                json.dumps(result) if result is not None else None,
                json.dumps(failure.to_dict()) if failure else None,
                now + ttl,
                (now - started) if started and outcome == "ok" else None,
                row["seq"],
            ),
        )
        if row["webhook_url"]:
            body = webhook_body(row["request_id"], result, failure)
            conn.execute(
                "INSERT INTO webhooks (request_id, url, owner, body, next_attempt_at) VALUES (?,?,?,?,?)",
                (row["request_id"], row["webhook_url"], row["owner"], body, now),
            )

    def request_cancel(self, request_id: str) -> CancelReply:
        """Cancel a queued job at once; flag a running one for its worker to stop at the next step."""
        with self._tx() as conn:
            row = conn.execute("SELECT * FROM jobs WHERE request_id = ?", (request_id,)).fetchone()
            if row is None:
                return "not_found"
            if row["status"] == "COMPLETED":
                return "already_completed"
            if row["status"] == "IN_QUEUE":
                self._finish(conn, row, "cancelled", None, CANCELLED, self.clock())
                reply: CancelReply = "cancelled"
            else:
                conn.execute(f"UPDATE jobs SET cancel_requested = 1, {_BUMP} WHERE seq = ?", (row["seq"],))
                self._log(conn, request_id, "Cancellation requested", "INFO")
                reply = "requested"
        self._moved(request_id)
        return reply

    def expire_overdue(self) -> None:
        """Fail queued jobs whose `x-fal-request-timeout` start deadline has passed."""
        now = self.clock()
        conn = self._conn()
        if not conn.execute(
            "SELECT 1 FROM jobs WHERE status = 'IN_QUEUE' AND start_deadline < ? LIMIT 1", (now,)
        ).fetchone():
            return
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT * FROM jobs WHERE status = 'IN_QUEUE' AND start_deadline < ?", (now,)
            ).fetchall()
            for row in rows:
                self._finish(conn, row, "error", None, START_TIMEOUT, now)
        for row in rows:
            self._moved(row["request_id"])

    def purge_expired(self) -> list[str]:
        """Delete finished jobs past their retention; returns their request ids."""
        now = self.clock()
        with self._tx() as conn:
            ids = [r[0] for r in conn.execute("SELECT request_id FROM jobs WHERE expires_at < ?", (now,))]
            for request_id in ids:
                conn.execute("DELETE FROM jobs WHERE request_id = ?", (request_id,))
                conn.execute("DELETE FROM logs WHERE request_id = ?", (request_id,))
            conn.execute(
                "DELETE FROM webhooks WHERE state != 'pending' AND next_attempt_at < ?", (now - 86400,)
            )
        return ids

    # -- logs -------------------------------------------------------------------------------------

    def add_log(self, request_id: str, message: str, level: LogLevel = "INFO", step: bool = False) -> None:
        """Append a log line; `step` also counts one denoising step for the metrics."""
        steps = ", steps = steps + 1" if step else ""
        with self._tx() as conn:
            self._log(conn, request_id, message, level)
            conn.execute(f"UPDATE jobs SET {_BUMP}{steps} WHERE request_id = ?", (request_id,))
        self.changes.notify(request_id)

    def _log(self, conn: sqlite3.Connection, request_id: str, message: str, level: str) -> None:
        conn.execute(
            "INSERT INTO logs (request_id, message, level, timestamp) VALUES (?,?,?,?)",
            (request_id, message, level, iso(self.clock())),
        )

    def logs(self, request_id: str) -> list[LogLine]:
        rows = self._conn().execute(
            "SELECT message, level, timestamp FROM logs WHERE request_id = ? ORDER BY seq", (request_id,)
        )
        return [LogLine(r["message"], r["level"], r["timestamp"]) for r in rows]

    # -- webhooks ---------------------------------------------------------------------------------

    def due_webhooks(self, limit: int = 20, hold_s: float = 60.0) -> list[WebhookDelivery]:
        """Take due deliveries, holding them for `hold_s` so another dispatcher does not send them too."""
        now = self.clock()
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT * FROM webhooks WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
                (now, limit),
            ).fetchall()
            for row in rows:
                conn.execute(
                    "UPDATE webhooks SET next_attempt_at = ? WHERE id = ?", (now + hold_s, row["id"])
                )
        return [
            WebhookDelivery(r["id"], r["request_id"], r["url"], r["owner"], r["body"], r["attempts"])
            for r in rows
        ]

    def webhook_attempted(self, delivery_id: int, error: str | None, retry_at: float | None) -> None:
        """Record one attempt: delivered (no error), retry later, or given up (no `retry_at`)."""
        state = "delivered" if error is None else ("pending" if retry_at is not None else "failed")
        with self._tx() as conn:
            conn.execute(
                "UPDATE webhooks SET attempts = attempts + 1, state = ?, last_error = ?, next_attempt_at = ?"
                " WHERE id = ?",
                (state, error, retry_at if retry_at is not None else self.clock(), delivery_id),
            )

    def webhook_states(self, request_id: str) -> list[tuple[str, int]]:
        rows = self._conn().execute(
            "SELECT state, attempts FROM webhooks WHERE request_id = ?", (request_id,)
        )
        return [(r[0], r[1]) for r in rows]

    # -- workers and metrics ----------------------------------------------------------------------

    def worker_state(
        self,
        worker_id: str,
        pid: int,
        device: str,
        state: str,
        current_job: str | None,
        endpoints: Collection[str] | None = None,
        error: str | None = None,
        memory_plan: dict[str, Any] | None = None,
    ) -> None:
        """Report a worker's state (`loading`, `ready`, `busy`, `stopped`, `failed`), what it serves, its
        memory plan and, for `failed`, why (shown in /health)."""
        served = json.dumps(sorted(endpoints)) if endpoints is not None else None
        plan = json.dumps(memory_plan) if memory_plan is not None else None
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO workers (worker_id, pid, device, state, current_job, last_seen, endpoints, host,"
                " error, memory_plan) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(worker_id) DO UPDATE SET"
                " pid = excluded.pid, device = excluded.device, state = excluded.state,"
                " current_job = excluded.current_job, last_seen = excluded.last_seen,"
                " endpoints = COALESCE(excluded.endpoints, endpoints), host = excluded.host,"
                " error = excluded.error, memory_plan = COALESCE(excluded.memory_plan, memory_plan)",
                (
                    worker_id,
                    pid,
                    device,
                    state,
                    current_job,
                    self.clock(),
                    served,
                    socket.gethostname(),
                    error,
                    plan,
                ),
            )

    def workers(self) -> list[dict[str, Any]]:
        rows = self._conn().execute("SELECT * FROM workers ORDER BY worker_id")
        return [_worker(dict(r)) for r in rows]

    def stats(self) -> dict[str, Any]:
        """Counts for /metrics: jobs by state and outcome, queue length (also per endpoint), steps done."""
        conn = self._conn()
        by_state = {
            f"{r[0]}:{r[1] or ''}": r[2]
            for r in conn.execute("SELECT status, outcome, COUNT(*) FROM jobs GROUP BY status, outcome")
        }
        steps = conn.execute("SELECT COALESCE(SUM(steps), 0) FROM jobs").fetchone()[0]
        queued = dict(
            conn.execute(
                "SELECT endpoint_id, COUNT(*) FROM jobs WHERE status = 'IN_QUEUE' GROUP BY endpoint_id"
            ).fetchall()
        )
        return {
            "by_state": by_state,
            "queue_length": sum(queued.values()),
            "queued_by_endpoint": queued,
            "steps": steps,
        }


class SqliteChanges:
    """Which waited-on jobs moved since the last look, for the one watcher thread of a process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._data_version = -1
        self._seen: dict[str, int] = {}
        self._queue: tuple[int, int] | None = None

    def changed(self, request_ids: Collection[str]) -> list[str]:
        if self._conn is None:
            self._conn = _connect(self.path)
        data_version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        fresh = [r for r in request_ids if r not in self._seen]
        if data_version == self._data_version and not fresh:
            return []  # nothing committed by any other connection since the last look
        self._data_version = data_version
        marks = ",".join("?" * len(request_ids))
        rows = self._conn.execute(
            f"SELECT request_id, version FROM jobs WHERE request_id IN ({marks})", list(request_ids)
        ).fetchall()
        if len(self._seen) > 10_000:
            self._seen.clear()
        moved = [r for r, v in rows if self._seen.get(r) != v]
        self._seen.update(dict(rows))
        queue = tuple(
            self._conn.execute(
                "SELECT (SELECT COUNT(*) FROM jobs WHERE status = 'IN_QUEUE'), (SELECT MAX(seq) FROM jobs)"
            ).fetchone()
        )
        if queue != self._queue:
            self._queue = queue
            moved.append(QUEUE_MOVED)
        return moved


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _endpoint_filter(endpoints: Collection[str] | None) -> tuple[str, list[str]]:
    if endpoints is None:
        return "", []
    return f" AND endpoint_id IN ({','.join('?' * len(endpoints))})", list(endpoints)


def _worker(row: dict[str, Any]) -> dict[str, Any]:
    row["endpoints"] = json.loads(row["endpoints"]) if row.get("endpoints") else None
    row["memory_plan"] = json.loads(row["memory_plan"]) if row.get("memory_plan") else None
    return row


def _record(row: sqlite3.Row) -> JobRecord:
    priority = {v: k for k, v in PRIORITIES.items()}[row["priority"]]
    return JobRecord(
        request_id=row["request_id"],
        endpoint_id=row["endpoint_id"],
        owner=row["owner"],
        input=json.loads(row["input"]),
        status=row["status"],
        outcome=row["outcome"],
        priority=priority,
        created_at=row["created_at"],
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        attempts=row["attempts"],
        lease_owner=row["lease_owner"],
        cancel_requested=bool(row["cancel_requested"]),
        result=json.loads(row["result"]) if row["result"] else None,
        failure=JobFailure.from_dict(json.loads(row["failure"])) if row["failure"] else None,
        webhook_url=row["webhook_url"],
        base_url=row["base_url"],
        store_io=bool(row["store_io"]),
        object_ttl_s=row["object_ttl_s"],
        inference_time=row["inference_time"],
    )
