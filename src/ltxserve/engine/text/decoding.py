"""Token-by-token decoding for prompt expansion: a KV-cached loop without `generate()`'s per-token machinery.

`transformers.generate` rebuilds its logits processors, stopping criteria and model inputs every token;
for expansion we need only: one prefill that fills a KV cache, then one single-token forward per new
token, the same warpers `generate` applies for sampling (temperature → top-k → top-p, from the model's
generation config), a seeded generator, and a stop on end-of-sequence, the token bound or the deadline.
Greedy decoding (`temperature` 0) gives exactly `generate(do_sample=False)`'s tokens (tested).
"""

from __future__ import annotations

import inspect
import time
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from transformers import Gemma3ForConditionalGeneration


def warp(logits: torch.Tensor, temperature: float, top_k: int | None, top_p: float | None) -> torch.Tensor:
    """(1, V) logits → sampling probabilities, as `generate`'s temperature, top-k and top-p warpers."""
    logits = logits.float() / temperature
    if top_k:
        kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        ordered, index = torch.sort(logits, descending=False)
        cumulative = ordered.softmax(-1).cumsum(-1)
        drop = cumulative <= 1 - top_p
        drop[..., -1:] = False  # keep at least the most likely token
        logits = logits.masked_fill(drop.scatter(-1, index, drop), float("-inf"))
    return logits.softmax(-1)


def decode(
    model: Gemma3ForConditionalGeneration,
    inputs: dict[str, torch.Tensor],
    max_new_tokens: int,
    temperature: float,
    eos_ids: set[int],
    generator: torch.Generator | None = None,
    deadline: float | None = None,
) -> tuple[list[int], bool]:
    """New token ids after the prompt in `inputs`, and whether decoding stopped on end-of-sequence.

    `temperature` 0 is greedy; otherwise sampling with the model's top-k/top-p. `deadline` is a
    `time.monotonic()` value after which decoding stops (the caller reports the timeout).
    """
    from transformers import DynamicCache

    config = model.generation_config
    top_k, top_p = getattr(config, "top_k", None), getattr(config, "top_p", None)
    # transformers ≥ 5.2x names the cache argument `cache` (`past_key_values` is deprecated there).
    name = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
    cache = {name: DynamicCache()}
    mask = inputs["attention_mask"]
    out = model(**inputs, **cache, use_cache=True, logits_to_keep=1)
    tokens: list[int] = []
    for _ in range(max_new_tokens):
        logits = out.logits[:, -1]
        if temperature == 0.0:
            token = logits.argmax(-1, keepdim=True)
        else:
            token = torch.multinomial(warp(logits, temperature, top_k, top_p), 1, generator=generator)
        value = int(token)  # one read per token, as generate's stopping check does
        tokens.append(value)
        if value in eos_ids:
            return tokens, True
        if deadline is not None and time.monotonic() >= deadline:
            break
        mask = torch.cat([mask, mask.new_ones(1, 1)], dim=1)
        out = model(input_ids=token, attention_mask=mask, **cache, use_cache=True, logits_to_keep=1)
    return tokens, False
