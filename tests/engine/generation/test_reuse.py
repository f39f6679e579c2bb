"""Guidance reuse (`acceleration`): which steps run every guidance pass, and what the others return."""

import torch

from ltxserve.engine.generation.denoiser import StageInputs
from ltxserve.engine.generation.reuse import GuidanceReuse, refreshes, with_guidance_reuse
from ltxserve.engine.guidance import CONDITIONAL_ONLY, GuidanceBatch, GuidancePass, guidance_batch
from ltxserve.engine.request import Guidance
from ltxserve.engine.text.encode import TextContext

GUIDED = Guidance(cfg=3.0)


class CountingDenoiser:
    """Per-pass predictions that depend on the step (a stand-in for the transformer); records each batch."""

    def __init__(self) -> None:
        self.batches: list[GuidanceBatch] = []

    def predictions(self, video, audio, sigma, inputs, batch):
        self.batches.append(batch)
        value = {GuidancePass.COND: sigma, GuidancePass.NEGATIVE: 2 * sigma}
        preds = {p: torch.full((1, 2, 1), value[p]) for p in batch.passes}
        return preds, {p: t.clone() for p, t in preds.items()}


def _inputs() -> StageInputs:
    text = TextContext(torch.zeros(1, 1, 1), torch.zeros(1, 1, 1), torch.ones(1, 1))
    batch = guidance_batch(GUIDED, GUIDED)
    return StageInputs(text, text, GUIDED, GUIDED, batch, (0,), 24.0)


def test_refresh_pattern_keeps_the_edges_guided():
    assert all(refreshes(i, 15, 1) for i in range(15))
    pattern = [refreshes(i, 15, 2) for i in range(15)]
    assert pattern[:2] == [True, True]
    assert pattern[-2:] == [True, True]
    assert pattern[2:13] == [True, False] * 5 + [True]
    assert sum(refreshes(i, 15, 4) for i in range(15)) < sum(pattern)


def test_reuse_steps_run_the_conditional_pass_only():
    denoiser = CountingDenoiser()
    model = GuidanceReuse(denoiser, every=4, steps=8)  # type: ignore[arg-type]
    inputs = _inputs()
    for _ in range(8):
        model(None, None, 0.5, inputs)  # type: ignore[arg-type]
    full = [batch is inputs.batch for batch in denoiser.batches]
    assert full == [refreshes(i, 8, 4) for i in range(8)]
    assert all(batch == CONDITIONAL_ONLY for batch, f in zip(denoiser.batches, full, strict=True) if not f)


def test_a_reuse_step_adds_the_last_guidance_delta():
    model = GuidanceReuse(CountingDenoiser(), every=3, steps=9)  # type: ignore[arg-type]
    inputs = _inputs()
    for sigma in (0.5, 0.5, 0.4):  # steps 0 and 1 (the guided edge) and 2: every pass runs
        model(None, None, sigma, inputs)  # type: ignore[arg-type]
    video, _ = model(None, None, 0.3, inputs)  # type: ignore[arg-type]  # step 3 reuses step 2's delta
    # Step 2: guided = c + (cfg − 1)(c − u) = 0.4 + 2·(0.4 − 0.8), so delta = −0.8; step 3's c is 0.3.
    assert torch.allclose(video, torch.full((1, 2, 1), 0.3 - 0.8))


def test_no_acceleration_is_the_denoiser_itself():
    denoiser = CountingDenoiser()
    assert with_guidance_reuse(denoiser, "none", 15) is denoiser  # type: ignore[arg-type]
    assert isinstance(with_guidance_reuse(denoiser, "high", 15), GuidanceReuse)  # type: ignore[arg-type]
