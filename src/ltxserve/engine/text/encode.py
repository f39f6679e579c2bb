"""Prompt → per-modality text context: Gemma-3 hidden states through the LTX-2.3 connectors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from ltxserve.engine.model import ModelParts

# The reference pads every prompt to this many tokens (left padding, as Gemma's chat prompts).
MAX_PROMPT_TOKENS = 1024


@dataclass(frozen=True)
class TextContext:
    """Connector outputs for one prompt: video (1, L, Dv), audio (1, L, Da), mask (1, L)."""

    video: torch.Tensor
    audio: torch.Tensor
    mask: torch.Tensor


def encode_prompt(model: ModelParts, prompt: str, max_tokens: int = MAX_PROMPT_TOKENS) -> TextContext:
    """All Gemma hidden states (embeddings + every layer), stacked and flattened, through the connectors."""
    tokenizer = model.tokenizer
    tokenizer.padding_side = "left"
    tokens = tokenizer(
        [prompt.strip()],
        padding="max_length",
        max_length=max_tokens,
        truncation=True,
        return_tensors="pt",
    )
    device = next(model.connectors.parameters()).device
    input_ids = tokens.input_ids.to(device)
    attention_mask = tokens.attention_mask.to(device)
    outputs = model.text_encoder(
        input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True
    )
    # (1, L, D, layers + 1) → (1, L, D·(layers + 1))
    stacked = torch.stack(outputs.hidden_states, dim=-1).flatten(2, 3)
    dtype = next(model.connectors.parameters()).dtype
    video, audio, mask = model.connectors(stacked.to(dtype), attention_mask)
    return TextContext(video=video, audio=audio, mask=mask)
