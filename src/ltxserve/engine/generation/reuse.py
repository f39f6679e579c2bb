"""Guidance reuse (`acceleration`): one wrapper around the denoiser, k-diffusion's model-wrapper pattern.

The guidance passes (negative prompt, STG, modality isolation) change slowly between neighbouring steps,
so on reuse steps only the conditional pass runs and the last computed guidance delta (guided −
conditional, per modality) is added to it. The first and last `GUIDED_EDGES` steps always run every pass
(they set layout and final detail). docs/engine.md has the trade per level.
"""

from __future__ import annotations

import torch

from ltxserve.engine.generation.denoiser import DenoiseFn, Denoiser, StageInputs
from ltxserve.engine.generation.tokens import TokenState
from ltxserve.engine.guidance import CONDITIONAL_ONLY, GuidancePass, combine
from ltxserve.engine.request import Acceleration

# `acceleration` → every guidance pass runs only every N steps.
GUIDANCE_EVERY: dict[Acceleration, int] = {"none": 1, "regular": 2, "high": 3, "full": 4}
GUIDED_EDGES = 2


def with_guidance_reuse(denoiser: Denoiser, acceleration: Acceleration, steps: int) -> DenoiseFn:
    """The denoiser for a stage of `steps` steps at this `acceleration` (itself for `none`)."""
    every = GUIDANCE_EVERY[acceleration]
    return denoiser if every <= 1 else GuidanceReuse(denoiser, every, steps)


def refreshes(step: int, steps: int, every: int, edges: int = GUIDED_EDGES) -> bool:
    """Whether step `step` of `steps` runs every guidance pass (True) or reuses the last delta."""
    if every <= 1 or step < edges or step >= steps - edges:
        return True
    return (step - edges) % every == 0


class GuidanceReuse:
    """A `DenoiseFn` for one stage: counts its calls (one per step) and reuses the guidance delta between
    refresh steps."""

    def __init__(self, denoiser: Denoiser, every: int, steps: int) -> None:
        self.denoiser = denoiser
        self.every = every
        self.steps = steps
        self._step = 0
        self._delta: tuple[torch.Tensor, torch.Tensor] | None = None  # (video, audio) guided − conditional

    def __call__(
        self, video: TokenState, audio: TokenState, sigma: float, inputs: StageInputs
    ) -> tuple[torch.Tensor, torch.Tensor]:
        step, self._step = self._step, self._step + 1
        cond = GuidancePass.COND
        if self._delta is not None and not refreshes(step, self.steps, self.every):
            video_preds, audio_preds = self.denoiser.predictions(
                video, audio, sigma, inputs, CONDITIONAL_ONLY
            )
            return video_preds[cond] + self._delta[0], audio_preds[cond] + self._delta[1]
        video_preds, audio_preds = self.denoiser.predictions(video, audio, sigma, inputs, inputs.batch)
        video_out = combine(video_preds, inputs.video_guidance)
        audio_out = combine(audio_preds, inputs.audio_guidance)
        self._delta = (video_out - video_preds[cond], audio_out - audio_preds[cond])
        return video_out, audio_out
