"""The safety checker and the expansion choices from the one settings object."""

from __future__ import annotations

from pathlib import Path

from ltxserve.engine.prompts import ExpansionOptions
from ltxserve.safety.checker import SafetyChecker, SafetyConfig
from ltxserve.safety.openai_api import ChatExpander, ServiceEndpoint
from ltxserve.settings import Settings


def safety_checker(settings: Settings, standalone: bool = False) -> SafetyChecker:
    """The worker's checker: threshold, sampling rate, policy file, force flag, optional moderation.

    `standalone` (`ltxserve generate`): use the data dir's policy file if there is one, but create no
    data dir just for it (the built-in default list applies instead).
    """
    policy_file: Path | None = settings.policy_file
    if standalone and not settings.policy_file.is_file():
        policy_file = None
    moderation = None
    if settings.safety_moderation_url:
        moderation = ServiceEndpoint(
            settings.safety_moderation_url,
            settings.safety_moderation_model,
            settings.safety_moderation_key,
            settings.safety_timeout_s,
        )
    return SafetyChecker(
        SafetyConfig(
            nsfw_threshold=settings.safety_nsfw_threshold,
            frames_per_second=settings.safety_frames_per_second,
            policy_file=policy_file,
            force=settings.safety_force,
            moderation=moderation,
            moderation_required=settings.safety_moderation_required,
        )
    )


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
