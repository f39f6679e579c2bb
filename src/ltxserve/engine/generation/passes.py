"""Per-sample guidance-pass controls for a batched transformer call.

diffusers' LTX-2 transformer takes STG and modality isolation as switches for the whole batch, and its
STG perturbs video and audio self-attention together. Guidance batches different passes into one call
and the reference perturbs each modality separately, so we wrap the affected attention processors:
each wrapper reads a per-sample mask from a shared `PassMasks` set just before the forward call.
The masks are host tuples (the plan is known on the host), so no wrapper ever reads a device value back:
a step has no host sync. Their device tensors are built once per (mask, device, dtype) and reused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from diffusers.models.attention_dispatch import AttentionBackendName
    from diffusers.models.transformers.transformer_ltx2 import (
        LTX2Attention,
        LTX2AudioVideoAttnProcessor,
        LTX2PerturbedAttnProcessor,
        LTX2VideoTransformer3DModel,
    )

    # The processors diffusers' LTX-2 attention modules come with (the wrappers call them).
    LTXProcessor = LTX2AudioVideoAttnProcessor | LTX2PerturbedAttnProcessor

Rotary = tuple[torch.Tensor, torch.Tensor] | None
Mask = tuple[float, ...]


@dataclass
class PassMasks:
    """Per-sample masks for the next forward call, one value per batch sample; None means "no effect"."""

    # 0 where the modality's self-attention is skipped in the STG blocks; None leaves the transformer's own
    # `perturbation_mask` in charge (diffusers' behaviour: both modalities together).
    video_stg: Mask | None = None
    audio_stg: Mask | None = None
    cross_modal: Mask | None = None  # 0 where audio↔video cross-attention is switched off
    _tensors: dict[tuple[Mask, torch.device, torch.dtype], torch.Tensor] = field(
        default_factory=dict, repr=False
    )

    def clear(self) -> None:
        self.video_stg = self.audio_stg = self.cross_modal = None

    def tensor(self, mask: Mask, like: torch.Tensor) -> torch.Tensor:
        """`mask` as a (B, 1, 1) tensor on `like`'s device and dtype, built once and then reused."""
        key = (mask, like.device, like.dtype)
        if key not in self._tensors:
            self._tensors[key] = torch.tensor(mask, dtype=like.dtype).to(like.device)[:, None, None]
        return self._tensors[key]


class _Wrapper:
    """A processor wrapper; `inner` is the diffusers processor that computes the attention."""

    inner: LTXProcessor

    # diffusers sets `processor._attention_backend` (set_attention_backend, engine/generation/attention.py): the
    # wrapped processor is the one that dispatches, so the attribute is forwarded to it.
    @property
    def _attention_backend(self) -> AttentionBackendName | None:
        return self.inner._attention_backend

    @_attention_backend.setter
    def _attention_backend(self, value: AttentionBackendName | None) -> None:
        # diffusers declares the attribute as `_attention_backend = None` and assigns backends to it itself.
        self.inner._attention_backend = value  # type: ignore[assignment]


class _SelfAttention(_Wrapper):
    """Routes the STG perturbation of one modality's self-attention through its own mask."""

    inner: LTX2PerturbedAttnProcessor  # the STG blocks' processor: it takes the perturbation mask

    def __init__(self, inner: LTX2PerturbedAttnProcessor, masks: PassMasks, modality: str) -> None:
        self.inner = inner
        self.masks = masks
        self.modality = modality

    def __call__(
        self,
        attn: LTX2Attention,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        query_rotary_emb: Rotary = None,
        key_rotary_emb: Rotary = None,
        perturbation_mask: torch.Tensor | None = None,
        all_perturbed: bool | None = None,
    ) -> torch.Tensor:
        own = self.masks.video_stg if self.modality == "video" else self.masks.audio_stg
        # The transformer passes a mask only inside STG blocks; outside them nothing is perturbed.
        if perturbation_mask is None or own is None:
            mask, everything = perturbation_mask, all_perturbed
        elif all(value != 0 for value in own):
            mask, everything = None, False
        else:
            mask, everything = self.masks.tensor(own, hidden_states), all(value == 0 for value in own)
        return self.inner(
            attn,
            hidden_states,
            encoder_hidden_states,
            attention_mask,
            query_rotary_emb,
            key_rotary_emb,
            perturbation_mask=mask,
            all_perturbed=everything,
        )


class _CrossModalAttention(_Wrapper):
    """Zeroes the audio↔video attention output of the samples whose modalities are isolated."""

    def __init__(self, inner: LTXProcessor, masks: PassMasks) -> None:
        self.inner = inner
        self.masks = masks

    def __call__(
        self,
        attn: LTX2Attention,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        query_rotary_emb: Rotary = None,
        key_rotary_emb: Rotary = None,
    ) -> torch.Tensor:
        out = self.inner(
            attn, hidden_states, encoder_hidden_states, attention_mask, query_rotary_emb, key_rotary_emb
        )
        keep = self.masks.cross_modal
        if keep is None:
            return out
        # The block adds this output as a residual (x + gate·out), so a zero output removes the path exactly.
        return out * self.masks.tensor(keep, out)


def install_pass_controls(transformer: LTX2VideoTransformer3DModel) -> PassMasks:
    """Wrap every block's self- and cross-modal attention processors once; returns the shared masks."""
    from diffusers.models.transformers.transformer_ltx2 import (
        LTX2AudioVideoAttnProcessor,
        LTX2PerturbedAttnProcessor,
        LTX2VideoTransformerBlock,
    )

    masks = PassMasks()
    for block in transformer.transformer_blocks:
        if not isinstance(block, LTX2VideoTransformerBlock):
            raise TypeError(f"expected diffusers' LTX-2 transformer blocks, found {type(block).__name__}")
        for attention, modality in ((block.attn1, "video"), (block.audio_attn1, "audio")):
            inner = attention.processor
            if not isinstance(inner, LTX2PerturbedAttnProcessor):
                raise TypeError(f"STG needs the perturbed attention processor, found {type(inner).__name__}")
            _install(attention, _SelfAttention(inner, masks, modality))
        for attention in (block.audio_to_video_attn, block.video_to_audio_attn):
            inner = attention.processor
            if not isinstance(inner, LTX2AudioVideoAttnProcessor | LTX2PerturbedAttnProcessor):
                raise TypeError(f"expected an LTX-2 attention processor, found {type(inner).__name__}")
            _install(attention, _CrossModalAttention(inner, masks))
    return masks


def _install(attention: LTX2Attention, wrapper: _Wrapper) -> None:
    # diffusers types `set_processor` as the closed union of its own processor classes; its documented custom
    # processors (any callable with the processor's signature) work the same at runtime.
    attention.set_processor(wrapper)  # type: ignore[arg-type]
