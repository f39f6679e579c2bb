"""The optional OpenAI-compatible moderation service."""

import pytest

from ltxserve.openai_service import ServiceEndpoint
from ltxserve.safety import ModerationUnavailable, SafetyChecker, SafetyConfig, Violation


def moderated(base: str, required: bool = False, timeout_s: float = 5.0) -> SafetyChecker:
    endpoint = ServiceEndpoint(f"{base}/v1/moderations", "omni-moderation-latest", None, timeout_s)
    return SafetyChecker(SafetyConfig(moderation=endpoint, moderation_required=required))


def test_moderation_endpoint_flags_a_prompt(openai_server):
    fake, base = openai_server
    fake.answer = {"results": [{"flagged": True, "categories": {"violence": True}}]}
    assert moderated(base).check_prompt("anything") == Violation("prompt")
    fake.answer = {"results": [{"flagged": False}]}
    assert moderated(base).check_prompt("a calm lake") is None
    assert fake.requests[0][0] == {"model": "omni-moderation-latest", "input": "anything"}


def test_an_unreachable_moderation_endpoint_is_skipped_unless_required(openai_server):
    fake, base = openai_server
    fake.status = 500
    assert moderated(base).check_prompt("a calm lake") is None
    with pytest.raises(ModerationUnavailable):
        moderated(base, required=True).check_prompt("a calm lake")
