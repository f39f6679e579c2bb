"""Optional OpenAI-compatible moderation of prompts (`/v1/moderations`)."""

from __future__ import annotations

from ltxserve.openai_service import ServiceEndpoint


class ModerationClient:
    """`POST {model, input}` → `results[0].flagged`, as OpenAI's `/v1/moderations` answers."""

    def __init__(self, endpoint: ServiceEndpoint) -> None:
        self.endpoint = endpoint

    def flagged(self, text: str) -> bool:
        answer = self.endpoint.post({"model": self.endpoint.model, "input": text})
        return any(bool(result.get("flagged")) for result in answer.get("results", []))
