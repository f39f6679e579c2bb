"""`LTXSERVE_COMPILE=blocks`: regional `torch.compile` of the transformer's repeated blocks.

diffusers' `compile_repeated_blocks` compiles each module whose class the model lists in
`_repeated_blocks` (`LTX2VideoTransformerBlock` for LTX-2): the 48 identical blocks share one compiled
graph, so compiling costs about one block's worth instead of the whole model's, and the elementwise chains
inside a block (AdaLN modulation, gates, residuals, RoPE application) are fused into few kernels. The first
step at each new shape (stage 1, stage 2, another size) compiles; later steps reuse it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

import torch

if TYPE_CHECKING:
    from diffusers.models.transformers.transformer_ltx2 import LTX2VideoTransformer3DModel

CompileChoice = Literal["none", "blocks"]
COMPILE_CHOICES: tuple[str, ...] = get_args(CompileChoice)
# Shapes differ per stage and size: let dynamo mark sizes dynamic after the first change instead of
# compiling one graph per resolution; the dynamic-shape cache holds a few variants per block.
RECOMPILE_LIMIT = 16


def compile_blocks(transformer: LTX2VideoTransformer3DModel, choice: str, **compile_kwargs: object) -> bool:
    """Compile the repeated blocks when `choice` is "blocks"; returns whether anything was compiled."""
    if choice not in COMPILE_CHOICES:
        raise ValueError(f"unknown compile mode {choice!r}; one of {', '.join(COMPILE_CHOICES)}")
    if choice == "none":
        return False
    torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, RECOMPILE_LIMIT)
    transformer.compile_repeated_blocks(**compile_kwargs)
    return True
