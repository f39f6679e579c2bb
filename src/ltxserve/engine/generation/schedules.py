"""Sigma schedules: pure functions from a step count to a descending list of sigmas ending at 0.

Sigmas run from 1 (pure noise) to 0 (clean), as in Lightricks' reference `ltx-core` schedulers.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.stats import beta as beta_distribution

# Token-count anchors of the LTX-2 resolution-dependent shift (the shift grows linearly between them).
BASE_SHIFT_TOKENS, MAX_SHIFT_TOKENS = 1024, 4096
BASE_SHIFT, MAX_SHIFT = 0.95, 2.05
# The reference pipelines call the scheduler without a latent, so they always shift for 4096 tokens.
# We do the same by default: it is the schedule LTX-2.3's published results were made with (docs/engine.md).
REFERENCE_TOKENS = MAX_SHIFT_TOKENS

DISTILLED_SIGMAS = (1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875, 0.0)
REFINE_SIGMAS = (0.909375, 0.725, 0.421875, 0.0)


def ltx2_sigmas(steps: int, tokens: int = REFERENCE_TOKENS, terminal: float = 0.1) -> list[float]:
    """LTX-2 schedule: linear sigmas, shifted for `tokens`, non-zero part stretched to end at `terminal`."""
    _check_steps(steps)
    shift = tokens * (MAX_SHIFT - BASE_SHIFT) / (MAX_SHIFT_TOKENS - BASE_SHIFT_TOKENS)
    shift += (
        BASE_SHIFT - (MAX_SHIFT - BASE_SHIFT) / (MAX_SHIFT_TOKENS - BASE_SHIFT_TOKENS) * BASE_SHIFT_TOKENS
    )
    linear = np.linspace(1.0, 0.0, steps + 1)
    shifted = [_time_shift(shift, s) if s > 0 else 0.0 for s in linear]
    # Stretch so that the last non-zero sigma equals `terminal`: z = 1 - σ, σ ← 1 - z / (z_last / (1 - terminal)).
    z_last = 1.0 - shifted[-2]
    if z_last == 0.0:  # a single step: the only non-zero sigma is 1 and there is nothing to stretch
        return shifted
    k = z_last / (1.0 - terminal)
    return [1.0 - (1.0 - s) / k if s > 0 else 0.0 for s in shifted]


def linear_quadratic_sigmas(steps: int, threshold: float = 0.025) -> list[float]:
    """Half the steps linear up to `threshold`, the rest quadratic up to 1; returned as σ = 1 − t."""
    _check_steps(steps)
    if steps == 1:
        return [1.0, 0.0]
    linear_steps = steps // 2
    quadratic_steps = steps - linear_steps
    times = [i * threshold / linear_steps for i in range(linear_steps)]
    # The quadratic joins the linear part at `threshold` with a matching slope and reaches 1 at `steps`.
    step_diff = linear_steps - threshold * steps
    a = step_diff / (linear_steps * quadratic_steps**2)
    b = threshold / linear_steps - 2 * step_diff / quadratic_steps**2
    c = a * linear_steps**2
    times += [a * i**2 + b * i + c for i in range(linear_steps, steps)]
    times.append(1.0)
    return [1.0 - t for t in times]


BETA_SHIFT = 2.37
BETA_TABLE_SIZE = 10_000


def beta_sigmas(steps: int, alpha: float = 0.6, beta: float = 0.6) -> list[float]:
    """Beta-distributed timesteps over a flux time-shift table (Lee et al. 2024, arXiv:2407.12173)."""
    _check_steps(steps)
    table = _shift_table(BETA_SHIFT, BETA_TABLE_SIZE)
    last = len(table) - 1
    quantiles = 1.0 - np.linspace(0.0, 1.0, steps, endpoint=False)
    indices = np.rint(beta_distribution.ppf(quantiles, alpha, beta) * last).astype(int).tolist()
    unique = list(dict.fromkeys(indices))  # the inverse CDF can land twice on one timestep near the ends
    return [float(table[i]) for i in unique] + [0.0]


def distilled_sigmas() -> list[float]:
    """The fixed 8-step schedule the distilled model (and distilled LoRA) was trained for."""
    return list(DISTILLED_SIGMAS)


def refine_sigmas() -> list[float]:
    """The tail of the distilled schedule used by the refine stage of two-stage generation."""
    return list(REFINE_SIGMAS)


def sigmas_for(name: str, steps: int, tokens: int = REFERENCE_TOKENS) -> list[float]:
    """Dispatch on the request's `scheduler` name (cached: schedules are pure)."""
    return list(_cached_sigmas(name, steps, tokens))


@lru_cache(maxsize=64)
def _cached_sigmas(name: str, steps: int, tokens: int) -> tuple[float, ...]:
    if name == "ltx2":
        return tuple(ltx2_sigmas(steps, tokens))
    if name == "linear_quadratic":
        return tuple(linear_quadratic_sigmas(steps))
    if name == "beta":
        return tuple(beta_sigmas(steps))
    if name == "distilled":
        return tuple(distilled_sigmas())
    raise ValueError(f"unknown scheduler {name!r}")


def _time_shift(mu: float, t: float) -> float:
    """Flux/SD3 time shift: e^μ / (e^μ + (1/t − 1))."""
    return math.exp(mu) / (math.exp(mu) + (1.0 / t - 1.0))


@lru_cache(maxsize=4)
def _shift_table(shift: float, size: int) -> np.ndarray:
    times = np.arange(1, size + 1, dtype=np.float64) / size
    return np.exp(shift) / (np.exp(shift) + (1.0 / times - 1.0))


def _check_steps(steps: int) -> None:
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
