"""Multi-modal guidance: which guidance passes a step batches into its forward call, and how their
predictions combine."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from ltxserve.engine.request import EngineRequest, Guidance

if TYPE_CHECKING:
    import torch


class GuidancePass(Enum):
    """One sample of the batched transformer call per guidance term (the model spec's c, u, p, m)."""

    COND = "cond"  # positive prompt
    NEGATIVE = "negative"  # negative prompt (CFG)
    PERTURBED = "perturbed"  # self-attention skipped in the STG blocks
    ISOLATED = "isolated"  # both cross-modal attentions off (modality guidance)


@dataclass(frozen=True)
class GuidanceBatch:
    """The layout of one batched forward: the guidance passes it runs, in batch order (no-op terms are
    left out), and which modalities the PERTURBED pass perturbs."""

    passes: tuple[GuidancePass, ...]
    video_stg: bool  # perturb video self-attention in the PERTURBED pass
    audio_stg: bool  # perturb audio self-attention in the PERTURBED pass

    def index(self, kind: GuidancePass) -> int:
        return self.passes.index(kind)


# The conditional prediction alone: the refine stage (no guidance) and guidance reuse's cheap steps.
CONDITIONAL_ONLY = GuidanceBatch((GuidancePass.COND,), video_stg=False, audio_stg=False)


def guidance_batch(video: Guidance, audio: Guidance, *, audio_active: bool = True) -> GuidanceBatch:
    """The passes the two modalities' guidance needs (a pass no modality uses is skipped)."""
    audio_terms = audio if audio_active else Guidance()
    passes = [GuidancePass.COND]
    if video.needs_negative or audio_terms.needs_negative:
        passes.append(GuidancePass.NEGATIVE)
    if video.needs_perturbed or audio_terms.needs_perturbed:
        passes.append(GuidancePass.PERTURBED)
    if video.needs_isolated or audio_terms.needs_isolated:
        passes.append(GuidancePass.ISOLATED)
    return GuidanceBatch(
        tuple(passes), video_stg=video.needs_perturbed, audio_stg=audio_terms.needs_perturbed
    )


def request_batch(request: EngineRequest) -> GuidanceBatch:
    """The guidance batch of a request's stage 1: a frozen input audio (strength 1) takes no audio guidance."""
    frozen = request.audio is not None and request.audio.frozen
    return guidance_batch(request.video_guidance, request.audio_guidance, audio_active=not frozen)


def combine(predictions: dict[GuidancePass, torch.Tensor], scales: Guidance) -> torch.Tensor:
    """pred = c + (cfg−1)(c−u) + stg·(c−p) + (modality−1)(c−m), then optional std rescale.

    Rescaling (Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are Flawed", §3.4)
    pulls the guided prediction's standard deviation back towards the conditional one's.
    """
    cond = predictions[GuidancePass.COND]
    pred = cond
    if scales.needs_negative:
        pred = pred + (scales.cfg - 1.0) * (cond - predictions[GuidancePass.NEGATIVE])
    if scales.needs_perturbed:
        pred = pred + scales.stg * (cond - predictions[GuidancePass.PERTURBED])
    if scales.needs_isolated:
        pred = pred + (scales.modality - 1.0) * (cond - predictions[GuidancePass.ISOLATED])
    if scales.rescale != 0.0 and pred is not cond:
        factor = cond.std() / pred.std()
        pred = pred * (scales.rescale * factor + (1.0 - scales.rescale))
    return pred


def split_batch(batched: torch.Tensor, batch: GuidanceBatch) -> dict[GuidancePass, torch.Tensor]:
    """Undo the batching of one forward call: (P·B, ...) → one (B, ...) tensor per guidance pass."""
    chunks = batched.chunk(len(batch.passes), dim=0)
    return dict(zip(batch.passes, chunks, strict=True))
