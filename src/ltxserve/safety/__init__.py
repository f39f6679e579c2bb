"""The safety checker for prompts, input images and outputs (docs/safety.md)."""

from ltxserve.safety.checker import ModerationUnavailable, SafetyChecker, SafetyConfig, Violation

__all__ = ["ModerationUnavailable", "SafetyChecker", "SafetyConfig", "Violation"]
