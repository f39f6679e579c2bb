"""The safety checker from the one settings object."""

from __future__ import annotations

from pathlib import Path

from ltxserve.openai_service import ServiceEndpoint
from ltxserve.safety.checker import SafetyChecker, SafetyConfig
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
