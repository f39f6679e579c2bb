"""Multi-modal guidance: which transformer passes a step needs, and how their predictions combine."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import torch

from ltxserve.engine.request import Guidance


class Pass(Enum):
    """One transformer evaluation per guidance term (the model spec's c, u, p, m)."""

    COND = "cond"  # positive prompt
    NEGATIVE = "negative"  # negative prompt (CFG)
    PERTURBED = "perturbed"  # self-attention skipped in the STG blocks
    ISOLATED = "isolated"  # both cross-modal attentions off (modality guidance)


@dataclass(frozen=True)
class PassPlan:
    """The passes a step runs, in batch order; no-op guidance terms are left out."""

    passes: tuple[Pass, ...]
    video_stg: bool  # perturb video self-attention in the PERTURBED pass
    audio_stg: bool  # perturb audio self-attention in the PERTURBED pass

    def index(self, kind: Pass) -> int:
        return self.passes.index(kind)


def plan_passes(video: Guidance, audio: Guidance, *, audio_active: bool = True) -> PassPlan:
    """Choose the passes the two modalities' guidance needs (a pass no modality uses is skipped)."""
    audio_terms = audio if audio_active else Guidance()
    passes = [Pass.COND]
    if video.needs_negative or audio_terms.needs_negative:
        passes.append(Pass.NEGATIVE)
    if video.needs_perturbed or audio_terms.needs_perturbed:
        passes.append(Pass.PERTURBED)
    if video.needs_isolated or audio_terms.needs_isolated:
        passes.append(Pass.ISOLATED)
    return PassPlan(tuple(passes), video_stg=video.needs_perturbed, audio_stg=audio_terms.needs_perturbed)


def combine(predictions: dict[Pass, torch.Tensor], scales: Guidance) -> torch.Tensor:
    """pred = c + (cfg−1)(c−u) + stg·(c−p) + (modality−1)(c−m), then optional std rescale.

    Rescaling (Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are Flawed", §3.4)
    pulls the guided prediction's standard deviation back towards the conditional one's.
    """
    cond = predictions[Pass.COND]
    pred = cond
    if scales.needs_negative:
        pred = pred + (scales.cfg - 1.0) * (cond - predictions[Pass.NEGATIVE])
    if scales.needs_perturbed:
        pred = pred + scales.stg * (cond - predictions[Pass.PERTURBED])
    if scales.needs_isolated:
        pred = pred + (scales.modality - 1.0) * (cond - predictions[Pass.ISOLATED])
    if scales.rescale != 0.0 and pred is not cond:
        factor = cond.std() / pred.std()
        pred = pred * (scales.rescale * factor + (1.0 - scales.rescale))
    return pred


def split_batch(batched: torch.Tensor, plan: PassPlan) -> dict[Pass, torch.Tensor]:
    """Undo the batching of one forward call: (P·B, ...) → one (B, ...) tensor per pass."""
    chunks = batched.chunk(len(plan.passes), dim=0)
    return dict(zip(plan.passes, chunks, strict=True))
