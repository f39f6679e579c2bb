"""API keys: `Authorization: Key <key>` (or `Key <id>:<secret>`) mapped to an owner id that scopes jobs."""

from __future__ import annotations

import hashlib
import hmac

ANONYMOUS = "anonymous"


def owner_id(key: str) -> str:
    """A stable, non-secret id for a key: jobs and files are visible only to the same owner."""
    return "key_" + hashlib.sha256(key.encode()).hexdigest()[:20]


class Authenticator:
    """Checks keys in constant time; with no keys configured everyone is the anonymous owner."""

    def __init__(self, keys: list[str]) -> None:
        self._keys = [(k.encode(), owner_id(k)) for k in keys]

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def owner(self, authorization: str | None) -> str | None:
        """The owner for an `Authorization` header value, or None when it is missing or wrong."""
        if not self.enabled:
            return ANONYMOUS
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() != "key" or not presented:
            return None
        candidate = presented.strip().encode()
        found = None
        for key, owner in self._keys:
            if hmac.compare_digest(candidate, key):
                found = owner
        return found
