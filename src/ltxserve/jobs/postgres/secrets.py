"""Keys every API host must share (upload-token secret, webhook signing key), kept in PostgreSQL.

A token issued by one API host is checked by another, and webhook receivers verify signatures against
whichever host's JWKS they fetch: so the first host to start stores its keys, and every host adopts them
(written into its own data dir, where the single-machine code reads them).
"""

from __future__ import annotations

from pathlib import Path

import psycopg


def adopt_shared_files(url: str, paths: list[Path]) -> None:
    """Make each file's bytes the deployment's: the database's copy wins; a first host contributes its own."""
    with psycopg.connect(url, autocommit=True) as conn:
        for path in paths:
            row = conn.execute("SELECT value FROM ltxserve_secrets WHERE name = %s", (path.name,)).fetchone()
            if row is None and path.exists():
                conn.execute(
                    "INSERT INTO ltxserve_secrets (name, value) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                    (path.name, path.read_bytes()),
                )
                row = conn.execute(
                    "SELECT value FROM ltxserve_secrets WHERE name = %s", (path.name,)
                ).fetchone()
            if row is not None and (not path.exists() or path.read_bytes() != bytes(row[0])):
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".shared.tmp")
                tmp.write_bytes(bytes(row[0]))
                tmp.chmod(0o600)
                tmp.replace(path)
