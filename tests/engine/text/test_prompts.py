"""Prompt expansion with the tiny Gemma: its text is gibberish, so these assert the mechanism."""

from functools import partial

import numpy as np
import pytest

from ltxserve.engine.text.expander import GemmaExpander
from ltxserve.engine.text.prompts import (
    INSTRUCTIONS,
    ExpansionError,
    ExpansionOptions,
    ExpansionRequest,
    chat_messages,
    clean_expansion,
    instruction_for,
)
from ltxserve.testing.requests import small_request

PROMPT = "a red fox runs through snow"


@pytest.fixture
def engine(tiny_engine, monkeypatch):
    """The shared engine with a short token budget (the tiny Gemma rarely stops on its own)."""
    short = GemmaExpander(tiny_engine.parts, ExpansionOptions(max_new_tokens=24))
    monkeypatch.setattr(tiny_engine, "expander", short)
    return tiny_engine


t2v = partial(small_request, prompt=PROMPT, seed=7, enable_prompt_expansion=True)


def test_expansion_replaces_the_returned_prompt_seeded_from_the_request(engine):
    stages = []
    result = engine.generate(t2v(), on_progress=lambda stage, step, total: stages.append(stage))
    assert result.prompt
    assert result.prompt != PROMPT
    assert "\n" not in result.prompt
    assert result.warnings == ()
    assert stages.index("expand_prompt") < stages.index("encode_prompt")
    # The request's seed drives the sampling: expanding again with seed 7 gives the returned prompt.
    assert engine.expander.expand(ExpansionRequest("text_to_video", PROMPT, 7)) == result.prompt


def test_same_seed_expands_the_same_way_and_other_seeds_differ(engine):
    first = engine.expander.expand(ExpansionRequest("text_to_audio", PROMPT, 5))
    assert engine.expander.expand(ExpansionRequest("text_to_audio", PROMPT, 5)) == first
    others = {engine.expander.expand(ExpansionRequest("text_to_audio", PROMPT, seed)) for seed in (6, 7)}
    assert others - {first}


def test_the_first_image_goes_into_expansion_when_gemma_has_vision(engine):
    assert engine.expander.sees_images
    image = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    plain = engine.expander.expand(ExpansionRequest("audio_to_video", PROMPT, 3))
    with_image = engine.expander.expand(ExpansionRequest("audio_to_video", PROMPT, 3, image))
    other_image = engine.expander.expand(ExpansionRequest("audio_to_video", PROMPT, 3, 255 - image))
    assert len({plain, with_image, other_image}) == 3


def test_every_mode_has_its_own_instruction_and_audio_ignores_images():
    assert len(set(INSTRUCTIONS.values())) == len(INSTRUCTIONS) == 5
    assert instruction_for("text_to_audio", True) == instruction_for("text_to_audio", False)
    assert instruction_for("audio_to_video", True) != instruction_for("audio_to_video", False)
    messages = chat_messages(ExpansionRequest("text_to_video", PROMPT, 1), with_image=True)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[1]["content"][0] == {"type": "image"}
    assert PROMPT in messages[1]["content"][1]["text"]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Prompt: A fox\nruns.  ", "A fox runs."),
        ("\u201cA fox runs.\u201d", "A fox runs."),
        ("**Style: cinematic** a fox", "Style: cinematic a fox"),
        ("```\nA fox runs\n```", "A fox runs"),
        ("- - 3 foxes", "3 foxes"),
    ],
)
def test_clean_expansion_leaves_one_plain_prompt(raw, clean):
    assert clean_expansion(raw) == clean


def test_clean_expansion_refuses_an_empty_answer():
    with pytest.raises(ExpansionError):
        clean_expansion(" \n *** ")
