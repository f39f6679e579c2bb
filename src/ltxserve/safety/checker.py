"""The safety checker: prompt policy (plus optional moderation), input images and sampled output frames."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ltxserve.openai_service import ServiceEndpoint
from ltxserve.safety.frames import sample_frame_indices
from ltxserve.safety.moderation import ModerationClient
from ltxserve.safety.nsfw import NsfwClassifier
from ltxserve.safety.policy import PromptPolicy

log = logging.getLogger(__name__)

Check = Literal["prompt", "input_image", "output"]


@dataclass(frozen=True)
class SafetyConfig:
    """The operator's choices (settings `safety_*`, docs/safety.md)."""

    # Images whose open_nsfw score is at or above this are refused; 0 refuses every image and 1 none
    # (1 turns the classifier off; the prompt checks stay on).
    nsfw_threshold: float = 0.8
    frames_per_second: float = 1.0
    # The term list; None: the built-in default list, in memory.
    policy_file: Path | None = None
    # Check every request, whatever its `enable_safety_checker` says.
    force: bool = False
    moderation: ServiceEndpoint | None = None
    # When the moderation service cannot be reached: refuse the job (True) or log and go on (False).
    moderation_required: bool = False


@dataclass(frozen=True)
class Violation:
    """Which check fired, and for which input field (never the content itself)."""

    check: Check
    field: str | None = None

    @property
    def message(self) -> str:
        what = {
            "prompt": "the prompt",
            "input_image": f"the input image ({self.field})" if self.field else "an input image",
            "output": "the generated output",
        }[self.check]
        return f"The safety checker flagged {what} as violating the content policy."


class ModerationUnavailable(Exception):
    """The configured moderation service failed and the operator requires it."""


class SafetyChecker:
    """One per worker; the classifier and the policy file are loaded on first use and kept."""

    def __init__(self, config: SafetyConfig | None = None, classifier: NsfwClassifier | None = None) -> None:
        self.config = config or SafetyConfig()
        self.policy = PromptPolicy(self.config.policy_file)
        self.classifier = classifier or NsfwClassifier()
        self.moderation = ModerationClient(self.config.moderation) if self.config.moderation else None

    def enabled(self, requested: bool) -> bool:
        """Whether to check this request: what it asked for, unless the operator forces checking."""
        return requested or self.config.force

    def check_prompt(self, text: str) -> Violation | None:
        """The policy term list, then the moderation endpoint when one is configured."""
        if self.policy.violates(text):
            return Violation("prompt")
        if self.moderation is not None and self._moderation_flags(text):
            return Violation("prompt")
        return None

    def check_images(self, images: dict[str, np.ndarray]) -> Violation | None:
        """Input images by field name (`image_url`, ...), each (H, W, 3) uint8."""
        if not self._classifier_on:
            return None
        names = list(images)
        for name, score in zip(names, self.classifier.scores([images[n] for n in names]), strict=True):
            if score >= self.config.nsfw_threshold:
                return Violation("input_image", name)
        return None

    def check_frames(self, frames: np.ndarray, fps: float) -> Violation | None:
        """Output frames (F, H, W, 3) uint8: one per second plus the first and last (`frames.py`)."""
        if not self._classifier_on:
            return None
        indices = sample_frame_indices(len(frames), fps, self.config.frames_per_second)
        scores = self.classifier.scores([frames[i] for i in indices])
        return Violation("output") if any(s >= self.config.nsfw_threshold for s in scores) else None

    @property
    def _classifier_on(self) -> bool:
        return self.config.nsfw_threshold < 1.0

    def _moderation_flags(self, text: str) -> bool:
        assert self.moderation is not None
        try:
            return self.moderation.flagged(text)
        except Exception as exc:  # network, timeout, HTTP or JSON errors all mean "no answer"
            if self.config.moderation_required:
                raise ModerationUnavailable(f"the moderation service failed: {type(exc).__name__}") from exc
            log.warning("moderation service failed (%s); relying on the local checks", type(exc).__name__)
            return False
