"""Expansion decoding: the KV-cached loop decodes what `generate()` would, bounded and seeded."""

import numpy as np
import pytest
import torch

from ltxserve.engine.text.decoding import decode, warp
from ltxserve.engine.text.expander import GemmaExpander
from ltxserve.engine.text.prompts import ExpansionRequest


@pytest.fixture(scope="module")
def gemma(tiny_engine):
    return tiny_engine.parts.language_model, GemmaExpander(tiny_engine.parts)


@pytest.mark.parametrize("with_image", [False, True])
def test_greedy_loop_gives_generate_tokens_exactly(gemma, with_image):
    model, expander = gemma
    image = np.full((64, 64, 3), 90, np.uint8) if with_image else None
    inputs = expander._inputs(ExpansionRequest("text_to_video", "a fox", 1, image), with_image)
    with torch.inference_mode():
        expected = model.generate(**inputs, max_new_tokens=20, do_sample=False)[
            0, inputs["input_ids"].shape[1] :
        ]
        tokens, finished = decode(model, inputs, 20, 0.0, set(model.generation_config.eos_token_id))
    assert tokens == expected.tolist()
    assert finished == (len(tokens) < 20)


def test_sampling_is_seeded_and_bounded(gemma):
    model, expander = gemma
    inputs = expander._inputs(ExpansionRequest("text_to_video", "a fox", 1), False)
    with torch.inference_mode():
        runs = [decode(model, inputs, 12, 0.7, set(), torch.Generator().manual_seed(s))[0] for s in (4, 4, 5)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert all(len(r) == 12 for r in runs)


def test_a_past_deadline_stops_after_one_token(gemma):
    model, expander = gemma
    inputs = expander._inputs(ExpansionRequest("text_to_video", "a fox", 1), False)
    with torch.inference_mode():
        tokens, finished = decode(
            model, inputs, 50, 0.7, set(), torch.Generator().manual_seed(1), deadline=0.0
        )
    assert len(tokens) == 1
    assert not finished


def test_warpers_keep_top_k_and_the_top_p_nucleus():
    logits = torch.tensor([[4.0, 3.0, 2.0, 1.0, 0.0]])
    assert (warp(logits, 1.0, 2, None)[0, 2:] == 0).all()
    nucleus = warp(logits, 1.0, None, 0.7)[0]
    assert nucleus[0] > 0
    assert nucleus[1] > 0
    assert (nucleus[2:] == 0).all()
    assert torch.allclose(warp(logits, 1.0, None, None).sum(), torch.tensor(1.0))
