"""The `JobQueue` for many hosts: job records, logs and webhooks in PostgreSQL, the queue in procrastinate.

Invariants shared with SQLite: a record goes IN_QUEUE → IN_PROGRESS → COMPLETED once, under row locks;
only the lease owner may finish it; a finished job's webhook is queued in the same transaction.
procrastinate orders and hands out the work (per-endpoint queues, priorities, queueing lock = request id,
abort flags, worker heartbeats); `recover()` turns what it detects as stalled back into queued work.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from ltxserve.jobs.changes import QUEUE_MOVED, ChangeFeed
from ltxserve.jobs.postgres import schema
from ltxserve.jobs.postgres.dispatch import Dispatch
from ltxserve.jobs.postgres.listen import CHANNEL, Listener
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

Conn = psycopg.Connection[dict[str, Any]]
# How often a claiming worker also asks procrastinate for jobs of workers without heartbeats.
STALLED_SCAN_S = 2.0
# A record still without a queue entry this long after its insert belongs to an API host that died.
ORPHAN_AGE_S = 60.0


class PostgresQueue:
    """One per process; thread-safe (a connection pool and procrastinate's loop thread)."""

    def __init__(
        self,
        url: str,
        retention_s: int = 7 * 24 * 3600,
        lease_s: float = 30.0,
        clock: Clock = SYSTEM_CLOCK,
        pool_size: int = 10,
    ) -> None:
        self.url, self.retention_s, self.lease_s, self.clock = url, retention_s, lease_s, clock
        self.pool: ConnectionPool[Conn] = ConnectionPool(
            url, min_size=1, max_size=pool_size, kwargs={"row_factory": dict_row}, open=True
        )
        try:
            with self.pool.connection() as conn:
                schema.check(conn)
        except BaseException:
            self.pool.close()
            raise
        self.dispatch = Dispatch(url)
        self._scanned_at = 0.0
        self._listener = Listener(url)
        self.changes = ChangeFeed(on_subscribe=self._listener.start)
        self._listener.feed = self.changes

    def close(self) -> None:
        self.changes.close()
        self._listener.stop()
        self.dispatch.close()
        self.pool.close()

    @contextmanager
    def _tx(self) -> Iterator[Conn]:
        with self.pool.connection() as conn, conn.transaction():
            yield conn

    def _notify(self, conn: Conn, *request_ids: str) -> None:
        """Delivered at commit to every listening process (status streams)."""
        for request_id in request_ids:
            conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, request_id))

    def _moved(self, conn: Conn, request_id: str) -> None:
        self._notify(conn, request_id, QUEUE_MOVED)

    # -- jobs -------------------------------------------------------------------------------------

    def submit(self, job: NewJob) -> JobRecord:
        """Insert the record, then defer it to procrastinate (the request id is its queueing lock)."""
        now = self.clock()
        deadline = now + job.start_timeout_s if job.start_timeout_s else None
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO ltxserve_jobs (request_id, endpoint_id, owner, input, status, priority, created_at,"
                " start_deadline, webhook_url, base_url, store_io, object_ttl_s)"
                " VALUES (%s,%s,%s,%s,'IN_QUEUE',%s,%s,%s,%s,%s,%s,%s)",
                (
                    job.request_id,
                    job.endpoint_id,
                    job.owner,
                    Jsonb(job.input),
                    PRIORITIES[job.priority],
                    now,
                    deadline,
                    job.webhook_url,
                    job.base_url,
                    job.store_io,
                    job.object_ttl_s,
                ),
            )
        try:
            self._defer(job.request_id, job.endpoint_id, PRIORITIES[job.priority])
        except BaseException:
            # Not acknowledged: leave no record that nothing would ever run.
            with self._tx() as conn:
                conn.execute("DELETE FROM ltxserve_jobs WHERE request_id = %s", (job.request_id,))
            raise
        record = self.get(job.request_id)
        assert record is not None
        return record

    def _defer(self, request_id: str, endpoint_id: str, priority: int) -> None:
        job_id = self.dispatch.defer(request_id, endpoint_id, -priority)  # procrastinate: higher first
        with self._tx() as conn:
            if job_id is not None:
                conn.execute(
                    "UPDATE ltxserve_jobs SET queue_job_id = %s WHERE request_id = %s", (job_id, request_id)
                )
            self._moved(conn, request_id)

    def get(self, request_id: str) -> JobRecord | None:
        """The job, after failing it if its start deadline passed while queued."""
        self.expire_overdue()
        with self.pool.connection() as conn:
            row = conn.execute("SELECT * FROM ltxserve_jobs WHERE request_id = %s", (request_id,)).fetchone()
        return _record(row) if row else None

    def queue_position(self, request_id: str) -> int:
        """How many queued jobs will be claimed before this one."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT COUNT(*) AS n FROM ltxserve_jobs j, ltxserve_jobs me WHERE me.request_id = %s"
                " AND j.status = 'IN_QUEUE' AND (j.priority < me.priority"
                " OR (j.priority = me.priority AND j.seq < me.seq))",
                (request_id,),
            ).fetchone()
        return int(row["n"]) if row else 0

    def recent(self, owner: str, limit: int = 20, endpoint_id: str | None = None) -> list[JobRecord]:
        """The owner's newest jobs first (optionally of one endpoint): the playground's history."""
        self.expire_overdue()
        sql = "SELECT * FROM ltxserve_jobs WHERE owner = %s"
        args: list[Any] = [owner]
        if endpoint_id is not None:
            sql += " AND endpoint_id = %s"
            args.append(endpoint_id)
        with self.pool.connection() as conn:
            rows = conn.execute(sql + " ORDER BY seq DESC LIMIT %s", (*args, limit)).fetchall()
        return [_record(row) for row in rows]

    def claim(
        self, worker_id: str, lease_s: float, endpoints: Collection[str] | None = None
    ) -> JobRecord | None:
        """Fetch the next job from procrastinate (this worker's endpoints only) and take its record's lease."""
        self.expire_overdue()
        # procrastinate's heartbeat scan costs more than our lease check: not on every idle poll.
        scan = time.monotonic() - self._scanned_at > STALLED_SCAN_S
        if scan:
            self._scanned_at = time.monotonic()
        self.recover(with_heartbeats=scan)
        while True:
            fetched = self.dispatch.fetch(worker_id, endpoints)
            if fetched is None:
                return None
            record = self._take(fetched.request_id, fetched.job_id, worker_id, lease_s)
            if record is not None:
                return record

    def _take(self, request_id: str, job_id: int, worker_id: str, lease_s: float) -> JobRecord | None:
        """Lease the record of a fetched job; None (and the queue entry closed) when it has nothing to run."""
        now = self.clock()
        with self._tx() as conn:
            row = conn.execute(
                "SELECT * FROM ltxserve_jobs WHERE request_id = %s FOR UPDATE", (request_id,)
            ).fetchone()
            if row is None or row["status"] == "COMPLETED":
                done: str | None = row["outcome"] if row else "error"
            elif row["status"] == "IN_PROGRESS" and row["queue_job_id"] != job_id:
                done = "error"  # a second queue entry for a running job (a re-deferred orphan): drop it
            elif row["cancel_requested"] or row["attempts"] >= MAX_ATTEMPTS:
                done = self._end_abandoned(conn, row, now)
            else:
                done = None
                rerun = row["status"] == "IN_PROGRESS"
                conn.execute(
                    "UPDATE ltxserve_jobs SET status = 'IN_PROGRESS', started_at = %s, attempts = attempts + 1,"
                    " lease_owner = %s, lease_expires = %s, queue_job_id = %s WHERE seq = %s",
                    (now, worker_id, now + lease_s, job_id, row["seq"]),
                )
                if rerun:
                    self._log(conn, request_id, "A worker stopped responding; running the job again", "WARN")
                self._moved(conn, request_id)
        if done is not None:
            self.dispatch.finish(job_id, done)
            return None
        return self.get(request_id)

    def _end_abandoned(self, conn: Conn, row: dict[str, Any], now: float) -> str:
        """A dead worker's job that must not run again: cancelled, or failed after `MAX_ATTEMPTS`."""
        if row["cancel_requested"]:
            self._finish(conn, row, "cancelled", None, CANCELLED, now)
            return "cancelled"
        self._finish(conn, row, "error", None, worker_lost(), now)
        return "error"

    def recover(self, with_heartbeats: bool = True) -> int:
        """The stalled-job retrier: jobs whose lease expired or whose worker stopped heartbeating.

        Also re-defers records an API host inserted but died before queueing (never acknowledged, yet
        counted in queue positions); the request id as queueing lock keeps that from duplicating work.
        """
        now = self.clock()
        with self.pool.connection() as conn:
            orphans = conn.execute(
                "SELECT request_id, endpoint_id, priority FROM ltxserve_jobs"
                " WHERE status = 'IN_QUEUE' AND queue_job_id IS NULL AND created_at < %s",
                (now - ORPHAN_AGE_S,),
            ).fetchall()
            expired = conn.execute(
                "SELECT request_id, queue_job_id FROM ltxserve_jobs"
                " WHERE status = 'IN_PROGRESS' AND lease_expires < %s",
                (now,),
            ).fetchall()
        for orphan in orphans:
            self._defer(orphan["request_id"], orphan["endpoint_id"], orphan["priority"])
        stalled: set[int] = set()
        if with_heartbeats:
            stalled.update(self.dispatch.stalled(self.lease_s))
        for row in expired:
            with self._tx() as conn:
                locked = conn.execute(
                    "SELECT * FROM ltxserve_jobs WHERE request_id = %s AND status = 'IN_PROGRESS'"
                    " AND lease_expires < %s FOR UPDATE",
                    (row["request_id"], now),
                ).fetchone()
                ended = (
                    self._end_abandoned(conn, locked, now)
                    if locked and (locked["cancel_requested"] or locked["attempts"] >= MAX_ATTEMPTS)
                    else None
                )
            if row["queue_job_id"] is None:
                continue
            if ended is not None:
                self.dispatch.finish(row["queue_job_id"], ended)
            else:
                stalled.add(row["queue_job_id"])
        for job_id in stalled:
            self.dispatch.retry(job_id)
        return len(stalled)

    def heartbeat(self, request_id: str, worker_id: str, lease_s: float) -> Heartbeat:
        """Extend the lease (and procrastinate's worker heartbeat) while the worker still holds it."""
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE ltxserve_jobs SET lease_expires = %s WHERE request_id = %s AND lease_owner = %s"
                " AND status = 'IN_PROGRESS'",
                (self.clock() + lease_s, request_id, worker_id),
            )
            row = conn.execute(
                "SELECT cancel_requested FROM ltxserve_jobs WHERE request_id = %s", (request_id,)
            ).fetchone()
        self.dispatch.heartbeat(worker_id)
        return Heartbeat(owned=cur.rowcount == 1, cancel_requested=bool(row and row["cancel_requested"]))

    def cancel_requested(self, request_id: str) -> bool:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT cancel_requested FROM ltxserve_jobs WHERE request_id = %s", (request_id,)
            ).fetchone()
        return bool(row and row["cancel_requested"])

    def complete(self, request_id: str, worker_id: str, result: dict[str, Any]) -> bool:
        return self._finish_owned(request_id, worker_id, "ok", result, None)

    def fail(self, request_id: str, worker_id: str, failure: JobFailure, outcome: Outcome = "error") -> bool:
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
                "SELECT * FROM ltxserve_jobs WHERE request_id = %s AND lease_owner = %s"
                " AND status = 'IN_PROGRESS' FOR UPDATE",
                (request_id, worker_id),
            ).fetchone()
            if row is None:
                return False
            self._finish(conn, row, outcome, result, failure, self.clock())
        if row["queue_job_id"] is not None:
            self.dispatch.finish(row["queue_job_id"], outcome)
        return True

    def _finish(
        self,
        conn: Conn,
        row: dict[str, Any],
        outcome: Outcome,
        result: dict[str, Any] | None,
        failure: JobFailure | None,
        now: float,
    ) -> None:
        """Mark a job COMPLETED once and queue its webhook in the same transaction."""
        started = row["started_at"]
        ttl = row["object_ttl_s"] or self.retention_s
        conn.execute(
            "UPDATE ltxserve_jobs SET status = 'COMPLETED', outcome = %s, completed_at = %s, result = %s,"
            " failure = %s, lease_owner = NULL, lease_expires = NULL, expires_at = %s, inference_time = %s,"
            " input = CASE WHEN store_io THEN input ELSE '{}'::jsonb END WHERE seq = %s",
            (
                outcome,
                now,
                Jsonb(result) if result is not None else None,
                Jsonb(failure.to_dict()) if failure else None,
                now + ttl,
                (now - started) if started and outcome == "ok" else None,
                row["seq"],
            ),
        )
        if row["webhook_url"]:
            conn.execute(
                "INSERT INTO ltxserve_webhooks (request_id, url, owner, body, next_attempt_at)"
                " VALUES (%s,%s,%s,%s,%s)",
                (
                    row["request_id"],
                    row["webhook_url"],
                    row["owner"],
                    webhook_body(row["request_id"], result, failure),
                    now,
                ),
            )
        self._moved(conn, row["request_id"])

    def request_cancel(self, request_id: str) -> CancelReply:
        """Cancel a queued job at once; ask procrastinate to abort a running one (fal's cancel)."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT * FROM ltxserve_jobs WHERE request_id = %s FOR UPDATE", (request_id,)
            ).fetchone()
            if row is None:
                return "not_found"
            if row["status"] == "COMPLETED":
                return "already_completed"
            job_id = row["queue_job_id"]
            if row["status"] == "IN_QUEUE" and (job_id is None or self.dispatch.cancel(job_id)):
                self._finish(conn, row, "cancelled", None, CANCELLED, self.clock())
                return "cancelled"
            if row["status"] == "IN_PROGRESS" and job_id is not None:
                self.dispatch.cancel(job_id)  # sets procrastinate's abort flag
            conn.execute("UPDATE ltxserve_jobs SET cancel_requested = TRUE WHERE seq = %s", (row["seq"],))
            self._log(conn, request_id, "Cancellation requested", "INFO")
            self._notify(conn, request_id)
            return "requested"

    def expire_overdue(self) -> None:
        """Fail queued jobs whose `x-fal-request-timeout` start deadline has passed."""
        now = self.clock()
        with self.pool.connection() as conn:  # the common case: one indexed read, no lock
            if not conn.execute(
                "SELECT 1 FROM ltxserve_jobs WHERE status = 'IN_QUEUE' AND start_deadline < %s LIMIT 1",
                (now,),
            ).fetchone():
                return
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT * FROM ltxserve_jobs WHERE status = 'IN_QUEUE' AND start_deadline < %s"
                " FOR UPDATE SKIP LOCKED",
                (now,),
            ).fetchall()
            for row in rows:
                self._finish(conn, row, "error", None, START_TIMEOUT, now)
        for row in rows:
            if row["queue_job_id"] is not None:
                self.dispatch.cancel(row["queue_job_id"])

    def purge_expired(self) -> list[str]:
        """Delete finished jobs past their retention (and procrastinate's finished entries)."""
        now = self.clock()
        with self._tx() as conn:
            rows = conn.execute(
                "DELETE FROM ltxserve_jobs WHERE expires_at < %s RETURNING request_id", (now,)
            ).fetchall()
            ids = [r["request_id"] for r in rows]
            conn.execute("DELETE FROM ltxserve_logs WHERE request_id = ANY(%s)", (ids,))
            conn.execute(
                "DELETE FROM ltxserve_webhooks WHERE state != 'pending' AND next_attempt_at < %s",
                (now - 86400,),
            )
        self.dispatch.delete_finished(max(1, self.retention_s // 3600))
        return ids

    # -- logs -------------------------------------------------------------------------------------

    def add_log(self, request_id: str, message: str, level: LogLevel = "INFO", step: bool = False) -> None:
        with self._tx() as conn:
            self._log(conn, request_id, message, level)
            if step:
                conn.execute(
                    "UPDATE ltxserve_jobs SET steps = steps + 1 WHERE request_id = %s", (request_id,)
                )
            self._notify(conn, request_id)

    def _log(self, conn: Conn, request_id: str, message: str, level: str) -> None:
        conn.execute(
            "INSERT INTO ltxserve_logs (request_id, message, level, timestamp) VALUES (%s,%s,%s,%s)",
            (request_id, message, level, iso(self.clock())),
        )

    def logs(self, request_id: str) -> list[LogLine]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT message, level, timestamp FROM ltxserve_logs WHERE request_id = %s ORDER BY seq",
                (request_id,),
            ).fetchall()
        return [LogLine(r["message"], r["level"], r["timestamp"]) for r in rows]

    # -- webhooks ---------------------------------------------------------------------------------

    def due_webhooks(self, limit: int = 20, hold_s: float = 60.0) -> list[WebhookDelivery]:
        """Take due deliveries, holding them for `hold_s` so no other API host sends them too."""
        now = self.clock()
        with self._tx() as conn:
            rows = conn.execute(
                "UPDATE ltxserve_webhooks SET next_attempt_at = %s WHERE id IN (SELECT id FROM ltxserve_webhooks"
                " WHERE state = 'pending' AND next_attempt_at <= %s ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)"
                " RETURNING *",
                (now + hold_s, now, limit),
            ).fetchall()
        rows.sort(key=lambda r: r["id"])
        return [
            WebhookDelivery(r["id"], r["request_id"], r["url"], r["owner"], r["body"], r["attempts"])
            for r in rows
        ]

    def webhook_attempted(self, delivery_id: int, error: str | None, retry_at: float | None) -> None:
        state = "delivered" if error is None else ("pending" if retry_at is not None else "failed")
        with self._tx() as conn:
            conn.execute(
                "UPDATE ltxserve_webhooks SET attempts = attempts + 1, state = %s, last_error = %s,"
                " next_attempt_at = %s WHERE id = %s",
                (state, error, retry_at if retry_at is not None else self.clock(), delivery_id),
            )

    def webhook_states(self, request_id: str) -> list[tuple[str, int]]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT state, attempts FROM ltxserve_webhooks WHERE request_id = %s ORDER BY id",
                (request_id,),
            ).fetchall()
        return [(r["state"], r["attempts"]) for r in rows]

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
        served = Jsonb(sorted(endpoints)) if endpoints is not None else None
        plan = Jsonb(memory_plan) if memory_plan is not None else None
        host = socket.gethostname()
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO ltxserve_workers (worker_id, pid, device, state, current_job, last_seen, endpoints,"
                " host, error, memory_plan) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (worker_id)"
                " DO UPDATE SET pid = EXCLUDED.pid, device = EXCLUDED.device, state = EXCLUDED.state,"
                " current_job = EXCLUDED.current_job, last_seen = EXCLUDED.last_seen,"
                " endpoints = COALESCE(EXCLUDED.endpoints, ltxserve_workers.endpoints), host = EXCLUDED.host,"
                " error = EXCLUDED.error,"
                " memory_plan = COALESCE(EXCLUDED.memory_plan, ltxserve_workers.memory_plan)",
                (worker_id, pid, device, state, current_job, self.clock(), served, host, error, plan),
            )
        if state in ("ready", "busy"):
            self.dispatch.heartbeat(worker_id)

    def workers(self) -> list[dict[str, Any]]:
        with self.pool.connection() as conn:
            return conn.execute("SELECT * FROM ltxserve_workers ORDER BY worker_id").fetchall()

    def stats(self) -> dict[str, Any]:
        with self.pool.connection() as conn:
            by_state = {
                f"{r['status']}:{r['outcome'] or ''}": r["n"]
                for r in conn.execute(
                    "SELECT status, outcome, COUNT(*) AS n FROM ltxserve_jobs GROUP BY status, outcome"
                )
            }
            steps = conn.execute("SELECT COALESCE(SUM(steps), 0) AS n FROM ltxserve_jobs").fetchone()
            queued = {
                r["endpoint_id"]: r["n"]
                for r in conn.execute(
                    "SELECT endpoint_id, COUNT(*) AS n FROM ltxserve_jobs WHERE status = 'IN_QUEUE'"
                    " GROUP BY endpoint_id"
                )
            }
        return {
            "by_state": by_state,
            "queue_length": sum(queued.values()),
            "queued_by_endpoint": queued,
            "steps": int(steps["n"]) if steps else 0,
        }


def _record(row: dict[str, Any]) -> JobRecord:
    priority = {v: k for k, v in PRIORITIES.items()}[row["priority"]]
    return JobRecord(
        request_id=row["request_id"],
        endpoint_id=row["endpoint_id"],
        owner=row["owner"],
        input=row["input"],
        status=row["status"],
        outcome=row["outcome"],
        priority=priority,
        created_at=row["created_at"],
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        attempts=row["attempts"],
        lease_owner=row["lease_owner"],
        cancel_requested=row["cancel_requested"],
        result=row["result"],
        failure=JobFailure.from_dict(row["failure"]) if row["failure"] else None,
        webhook_url=row["webhook_url"],
        base_url=row["base_url"],
        store_io=row["store_io"],
        object_ttl_s=row["object_ttl_s"],
        inference_time=row["inference_time"],
    )
