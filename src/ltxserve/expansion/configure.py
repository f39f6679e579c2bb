"""The operator's expansion choices from the one settings object: options, and the chat expander if set."""

from __future__ import annotations

from ltxserve.engine.text.prompts import ExpansionOptions
from ltxserve.expansion.chat import ChatExpander
from ltxserve.openai_service import ServiceEndpoint
from ltxserve.settings import Settings


def expansion_options(settings: Settings) -> ExpansionOptions:
    return ExpansionOptions(
        max_new_tokens=settings.expansion_max_new_tokens, timeout_s=settings.expansion_timeout_s
    )


def chat_expander(settings: Settings) -> ChatExpander | None:
    """The external expander when `expansion_chat_url` is set; None means the engine's own Gemma."""
    if not settings.expansion_chat_url:
        return None
    endpoint = ServiceEndpoint(
        settings.expansion_chat_url,
        settings.expansion_chat_model,
        settings.expansion_chat_key,
        settings.expansion_timeout_s,
    )
    return ChatExpander(endpoint, expansion_options(settings), send_images=settings.expansion_chat_images)
