"""The model contract of the sampler: `denoiser(video, audio, sigma, inputs) -> (x̂₀ video, x̂₀ audio)`.

One call batches every guidance pass the step needs into a single transformer forward. Wrappers with the
same call (k-diffusion's model-wrapper pattern) change what a step computes: `reuse.GuidanceReuse`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from ltxserve.engine.generation.passes import PassMasks
from ltxserve.engine.generation.stage_memo import TensorMemo, memoize_rope, tensor_key
from ltxserve.engine.generation.tokens import TokenState
from ltxserve.engine.guidance import (
    GuidanceBatch,
    GuidancePass,
    combine,
    split_batch,
)
from ltxserve.engine.request import Guidance
from ltxserve.engine.text.encode import TextContext

if TYPE_CHECKING:
    from diffusers.models.transformers.transformer_ltx2 import LTX2VideoTransformer3DModel

# The transformer's timestep embedding expects σ scaled to [0, 1000].
TIMESTEP_SCALE = 1000.0
# Per-pass x̂₀ predictions of one modality, (B, T, C) each.
Predictions = dict[GuidancePass, torch.Tensor]


@dataclass(frozen=True)
class StageInputs:
    """What the denoiser needs besides the tokens, fixed across the steps of one stage: the prompts'
    text contexts, the guidance and the batch layout of its passes."""

    positive: TextContext
    negative: TextContext | None
    video_guidance: Guidance
    audio_guidance: Guidance
    batch: GuidanceBatch
    stg_blocks: tuple[int, ...]
    fps: float
    # The video stream is a stand-in (a request without pixels): it must not influence the audio at all.
    stand_in_video: bool = False
    # Per-stage memo of the batched text contexts, keyed by the passes they were stacked for.
    batched: dict[tuple[GuidancePass, ...], tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def contexts(
        self, batch: GuidanceBatch, dtype: torch.dtype
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Video context, audio context and mask stacked in pass order (P·B, L, D), built once per stage."""
        if batch.passes not in self.batched:
            contexts = [self.negative if p is GuidancePass.NEGATIVE else self.positive for p in batch.passes]
            if any(c is None for c in contexts):
                raise ValueError("a negative pass needs a negative prompt context")
            present = [c for c in contexts if c is not None]
            self.batched[batch.passes] = (
                torch.cat([c.video for c in present]).to(dtype),
                torch.cat([c.audio for c in present]).to(dtype),
                torch.cat([c.mask for c in present]),
            )
        return self.batched[batch.passes]


# The sampler's model: guided x̂₀ of both modalities at σ (a `Denoiser`, or a wrapper around one).
DenoiseFn = Callable[[TokenState, TokenState, float, StageInputs], tuple[torch.Tensor, torch.Tensor]]


class Denoiser:
    """Wraps the transformer: velocity predictions → guided clean-sample estimates."""

    def __init__(
        self, transformer: LTX2VideoTransformer3DModel, masks: PassMasks, dtype: torch.dtype
    ) -> None:
        self.transformer = transformer
        self.masks = masks
        self.dtype = dtype
        self.forward_seconds = 0.0  # time spent inside the transformer (for the overhead benchmark)
        self._ones_cache: dict[tuple[int, torch.device], torch.Tensor] = {}
        # Coordinates repeated per guidance pass, the same tensor at every step, so the RoPE memo hits.
        self._coords: TensorMemo[torch.Tensor] = TensorMemo()
        self.rope_memos = memoize_rope(transformer)

    def __call__(
        self, video: TokenState, audio: TokenState, sigma: float, inputs: StageInputs
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Guided x̂₀ for both modalities at noise level σ: every guidance pass of the stage in one forward."""
        video_preds, audio_preds = self.predictions(video, audio, sigma, inputs, inputs.batch)
        return combine(video_preds, inputs.video_guidance), combine(audio_preds, inputs.audio_guidance)

    def predictions(
        self, video: TokenState, audio: TokenState, sigma: float, inputs: StageInputs, batch: GuidanceBatch
    ) -> tuple[Predictions, Predictions]:
        """Unguided x̂₀ of every pass in `batch`, per modality, from one forward call."""
        video_v, audio_v = self._forward(video, audio, sigma, inputs, batch)
        video_x0 = _to_denoised(video.latent, video_v, video.mask, sigma)
        audio_x0 = _to_denoised(audio.latent, audio_v, audio.mask, sigma)
        return split_batch(video_x0, batch), split_batch(audio_x0, batch)

    def _forward(
        self, video: TokenState, audio: TokenState, sigma: float, inputs: StageInputs, batch: GuidanceBatch
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One transformer call over all passes of `batch`, stacked on the batch axis (P·B, T, C)."""
        n = len(batch.passes)
        video_ctx, audio_ctx, ctx_mask = inputs.contexts(batch, self.dtype)

        device = video.latent.device
        perturbed = GuidancePass.PERTURBED in batch.passes
        self._set_masks(batch)
        sigmas = torch.full((n,), sigma * TIMESTEP_SCALE, device=device)
        start = time.perf_counter()
        try:
            video_v, audio_v = self.transformer(
                hidden_states=video.latent.repeat(n, 1, 1).to(self.dtype),
                audio_hidden_states=audio.latent.repeat(n, 1, 1).to(self.dtype),
                encoder_hidden_states=video_ctx,
                audio_encoder_hidden_states=audio_ctx,
                timestep=(video.mask[..., 0] * sigma * TIMESTEP_SCALE).repeat(n, 1),
                audio_timestep=(audio.mask[..., 0] * sigma * TIMESTEP_SCALE).repeat(n, 1),
                sigma=sigmas,
                audio_sigma=sigmas,
                encoder_attention_mask=ctx_mask,
                audio_encoder_attention_mask=ctx_mask,
                fps=inputs.fps,
                video_coords=self._repeated(video.coords, n),
                audio_coords=self._repeated(audio.coords, n),
                isolate_modalities=inputs.stand_in_video,
                spatio_temporal_guidance_blocks=list(inputs.stg_blocks) if perturbed else None,
                perturbation_mask=self._ones(n, device) if perturbed else None,
                use_cross_timestep=True,
                return_dict=False,
            )
        finally:
            self.masks.clear()
            self.forward_seconds += time.perf_counter() - start
        return video_v.float(), audio_v.float()

    def _set_masks(self, batch: GuidanceBatch) -> None:
        """Per-sample masks (host tuples): STG only in the PERTURBED sample, isolation only in ISOLATED."""

        def zero_at(kind: GuidancePass | None) -> tuple[float, ...]:
            return tuple(0.0 if p is kind else 1.0 for p in batch.passes)

        perturbed = GuidancePass.PERTURBED
        if perturbed in batch.passes:
            self.masks.video_stg = zero_at(perturbed if batch.video_stg else None)
            self.masks.audio_stg = zero_at(perturbed if batch.audio_stg else None)
        if GuidancePass.ISOLATED in batch.passes:
            self.masks.cross_modal = zero_at(GuidancePass.ISOLATED)

    def _repeated(self, coords: torch.Tensor, n: int) -> torch.Tensor:
        """(1, D, T, 2) → (n, D, T, 2), built once per stage and pass count."""
        return self._coords.get((*tensor_key(coords), n), coords, lambda: coords.repeat(n, 1, 1, 1))

    def _ones(self, n: int, device: torch.device) -> torch.Tensor:
        """The transformer's own (n,) perturbation mask; ours route STG per modality (engine/generation/passes.py)."""
        key = (n, device)
        if key not in self._ones_cache:
            self._ones_cache[key] = torch.ones(n, device=device)
        return self._ones_cache[key]


def _to_denoised(
    sample: torch.Tensor, velocity: torch.Tensor, mask: torch.Tensor, sigma: float
) -> torch.Tensor:
    """x̂₀ = x − v·σ_token with σ_token = σ·mask (the reference's X0Model); sample is (B, T, C)."""
    n = velocity.shape[0] // sample.shape[0]
    sample = sample.float().repeat(n, 1, 1)
    return sample - velocity * (mask.float().repeat(n, 1, 1) * sigma)
