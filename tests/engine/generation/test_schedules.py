"""Every schedule against the reference's exact sigma lists and the model spec's formulas."""

import itertools
import json
from pathlib import Path

import pytest

from ltxserve.engine.generation import schedules

VECTORS = json.loads((Path(__file__).parents[2] / "data" / "reference-sigmas.json").read_text())


@pytest.mark.parametrize(
    ("key", "make"),
    [
        ("LTX2Scheduler(steps=15, tokens=14080)", lambda: schedules.ltx2_sigmas(15, tokens=14080)),
        ("LTX2Scheduler(steps=30, tokens=14080)", lambda: schedules.ltx2_sigmas(30, tokens=14080)),
        ("LTX2Scheduler(steps=15, tokens=4096)", lambda: schedules.ltx2_sigmas(15, tokens=4096)),
        ("LTX2Scheduler(steps=30, tokens=4096)", lambda: schedules.ltx2_sigmas(30, tokens=4096)),
        (
            "LTX2Scheduler(steps=15, latent=None) [as ltx-pipelines calls it]",
            lambda: schedules.ltx2_sigmas(15),
        ),
        ("LinearQuadraticScheduler(steps=15)", lambda: schedules.linear_quadratic_sigmas(15)),
        ("BetaScheduler(steps=15)", lambda: schedules.beta_sigmas(15)),
    ],
)
def test_matches_reference_vectors(key, make):
    assert make() == pytest.approx(VECTORS[key], abs=2e-6)


def test_default_ltx2_uses_reference_token_count():
    assert schedules.sigmas_for("ltx2", 15) == schedules.ltx2_sigmas(15, tokens=4096)


@pytest.mark.parametrize("steps", [1, 2, 8, 15, 30])
@pytest.mark.parametrize("name", ["ltx2", "linear_quadratic", "beta"])
def test_schedules_descend_from_one_to_zero(name, steps):
    sigmas = schedules.sigmas_for(name, steps)
    assert sigmas[0] == pytest.approx(1.0)
    assert sigmas[-1] == 0.0
    assert all(a > b for a, b in itertools.pairwise(sigmas))
    # Beta may drop duplicate timesteps; the others give exactly steps + 1 values.
    assert len(sigmas) == steps + 1 or (name == "beta" and len(sigmas) <= steps + 1)


@pytest.mark.parametrize("steps", [8, 15, 30])
def test_ltx2_stretches_last_nonzero_sigma_to_terminal(steps):
    assert schedules.ltx2_sigmas(steps)[-2] == pytest.approx(0.1)


def test_ltx2_shift_formula():
    # Unstretched, σ ← e^s / (e^s + (1/σ − 1)) with s from the token count; check one interior point by hand.
    import math

    tokens, steps = 14080, 4
    s = 0.95 + (tokens - 1024) * (2.05 - 0.95) / (4096 - 1024)
    raw = [math.exp(s) / (math.exp(s) + (1 / t - 1)) for t in (1.0, 0.75, 0.5, 0.25)]
    k = (1 - raw[-1]) / (1 - 0.1)
    expected = [1 - (1 - r) / k for r in raw] + [0.0]
    assert schedules.ltx2_sigmas(steps, tokens=tokens) == pytest.approx(expected, abs=1e-9)


def test_distilled_and_refine_sigmas():
    assert schedules.sigmas_for("distilled", 8) == [
        1.0,
        0.99375,
        0.9875,
        0.98125,
        0.975,
        0.909375,
        0.725,
        0.421875,
        0.0,
    ]
    assert schedules.refine_sigmas() == [0.909375, 0.725, 0.421875, 0.0]


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        schedules.sigmas_for("karras", 10)
    with pytest.raises(ValueError):
        schedules.ltx2_sigmas(0)
