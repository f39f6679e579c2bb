"""Short-lived upload tokens (Python client's CDN flow): HMAC-signed `owner.expiry.signature`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from pathlib import Path


def load_or_create_secret(path: Path) -> bytes:
    """The server's signing secret, created on first start and kept in the data dir."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(secrets.token_bytes(32))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_bytes()


class TokenSigner:
    """Issues and checks tokens bound to an owner and an expiry."""

    def __init__(self, secret: bytes, ttl_s: int = 3600) -> None:
        self.secret, self.ttl_s = secret, ttl_s

    def _sign(self, payload: str) -> str:
        return hmac.new(self.secret, payload.encode(), hashlib.sha256).hexdigest()

    def issue(self, owner: str) -> tuple[str, float]:
        expires = int(time.time()) + self.ttl_s
        payload = f"{owner}.{expires}"
        return f"{payload}.{self._sign(payload)}", float(expires)

    def owner(self, authorization: str | None) -> str | None:
        """The owner of a valid, unexpired `Bearer <token>`; None otherwise."""
        _, _, token = (authorization or "").partition(" ")
        owner, _, rest = token.partition(".")
        expires, _, signature = rest.partition(".")
        if not (owner and expires.isdigit() and signature):
            return None
        if not hmac.compare_digest(signature, self._sign(f"{owner}.{expires}")) or int(expires) < time.time():
            return None
        return owner
