"""Guidance as a unit: the spec's formula, skipped no-op passes, rescaling."""

import pytest
import torch

from ltxserve.engine.guidance import GuidancePass, combine, guidance_batch, split_batch
from ltxserve.engine.request import Guidance


def _preds(seed: int = 0) -> dict[GuidancePass, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {p: torch.randn(1, 6, 4, generator=g) for p in GuidancePass}


def test_formula_without_rescale():
    preds = _preds()
    c, u, p, m = (
        preds[k]
        for k in (GuidancePass.COND, GuidancePass.NEGATIVE, GuidancePass.PERTURBED, GuidancePass.ISOLATED)
    )
    scales = Guidance(cfg=3.0, stg=1.0, rescale=0.0, modality=3.0)
    expected = c + 2.0 * (c - u) + 1.0 * (c - p) + 2.0 * (c - m)
    torch.testing.assert_close(combine(preds, scales), expected)


def test_rescale_pulls_std_towards_cond():
    preds = _preds(1)
    c = preds[GuidancePass.COND]
    raw = combine(preds, Guidance(cfg=7.0, stg=1.0, rescale=0.0, modality=3.0))
    full = combine(preds, Guidance(cfg=7.0, stg=1.0, rescale=1.0, modality=3.0))
    half = combine(preds, Guidance(cfg=7.0, stg=1.0, rescale=0.7, modality=3.0))
    assert full.std().item() == pytest.approx(c.std().item(), rel=1e-5)
    factor = 0.7 * c.std() / raw.std() + 0.3
    torch.testing.assert_close(half, raw * factor)


def test_neutral_scales_return_cond_and_skip_passes():
    preds = _preds(2)
    assert torch.equal(combine(preds, Guidance()), preds[GuidancePass.COND])
    batch = guidance_batch(Guidance(), Guidance())
    assert batch.passes == (GuidancePass.COND,)


def test_pass_plan_includes_only_needed_passes():
    batch = guidance_batch(Guidance(cfg=3.0, stg=1.0), Guidance(cfg=7.0))
    assert batch.passes == (GuidancePass.COND, GuidancePass.NEGATIVE, GuidancePass.PERTURBED)
    assert batch.video_stg
    assert not batch.audio_stg
    batch = guidance_batch(Guidance(modality=3.0), Guidance(stg=1.0))
    assert batch.passes == (GuidancePass.COND, GuidancePass.PERTURBED, GuidancePass.ISOLATED)
    assert batch.audio_stg
    assert not batch.video_stg


def test_frozen_audio_does_not_request_passes():
    batch = guidance_batch(Guidance(), Guidance(cfg=7.0, stg=1.0), audio_active=False)
    assert batch.passes == (GuidancePass.COND,)


def test_split_batch_restores_pass_order():
    batch = guidance_batch(Guidance(cfg=2.0, modality=2.0), Guidance())
    batched = torch.arange(3.0).view(3, 1, 1)
    parts = split_batch(batched, batch)
    assert [parts[k].item() for k in batch.passes] == [0.0, 1.0, 2.0]
