"""An OpenAI-compatible HTTP service endpoint: the moderation check (safety/) and chat expansion (expansion/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class ServiceEndpoint:
    """A full endpoint URL (e.g. `https://host/v1/moderations`), a model name and an optional key."""

    url: str
    model: str
    key: str | None = None
    timeout_s: float = 10.0

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST JSON and return the JSON answer; raises httpx errors (timeouts included) and HTTP errors."""
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        response = httpx.post(self.url, json=body, headers=headers, timeout=self.timeout_s)
        response.raise_for_status()
        return response.json()
