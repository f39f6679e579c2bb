"""The random weights of the tiny (and full-width) test models: O(1)-effect, deterministic per generator."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def random_weight(
    key: str, shape: tuple[int, ...], generator: torch.Generator, fast: bool = False
) -> torch.Tensor:
    """An O(1)-effect random tensor for one learned weight, chosen by its name and shape.

    `fast`: uniform bf16 draws of the same standard deviation (≈ 50× quicker; for the full-width model,
    whose billions of weights the float64 normal draws would take minutes to make).
    """
    import torch

    def normal(std: float) -> torch.Tensor:
        if fast:
            bound = std * math.sqrt(3.0)
            return torch.empty(shape, dtype=torch.bfloat16).uniform_(-bound, bound, generator=generator)
        # Drawn in float64: float32 draws differ in the last bit between CPU instruction sets, which
        # flips a few bf16 roundings and so changes the model; float64 keeps it identical everywhere.
        return torch.randn(shape, generator=generator, dtype=torch.float64) * std

    name = key.rsplit(".", 1)[-1]
    if "learnable_registers" in key:
        return torch.rand(shape, generator=generator) * 2 - 1  # the reference's own U(-1, 1) init
    if "scale_shift_table" in key or "gate_logits.bias" in key:
        return normal(0.5)
    if ".act." in key or key.endswith(("act.alpha", "act.beta")):  # snake alpha/beta are log-scale
        return normal(0.3)
    if len(shape) == 1:
        # norm gains sit near 1, biases near 0
        return 1 + normal(0.1) if "norm" in key and name == "weight" else normal(0.2)
    fan_in = math.prod(shape[1:])
    if ".ups." in key:  # ConvTranspose1d weights are (in, out, k): each output sees about in × 2 taps
        fan_in = shape[0] * 2
    # The vocoder's residual branches add up three times per block, and the BWE stage reads log-mels
    # (offset, not centred): damp both so the waveform stays inside ±1 instead of saturating the clamp.
    gains = {".convs2.": 0.3, "bwe_generator.conv_post.weight": 0.1, "vocoder.conv_post.weight": 0.3}
    gain = next((g for part, g in gains.items() if part in key), 1.0)
    return normal(gain / math.sqrt(fan_in))
