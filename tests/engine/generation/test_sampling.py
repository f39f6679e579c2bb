"""Sampler steps as units: Euler, gradient estimation, restart re-noising."""

import pytest
import torch

from ltxserve.engine.generation.sampling import (
    GradientEstimator,
    churn_sigma,
    euler_step,
    keep_clean,
    noise_latent,
    renoise,
    velocity,
)


def test_euler_step_reaches_denoised_at_sigma_zero():
    x, x0 = torch.randn(1, 5, 3), torch.randn(1, 5, 3)
    v = velocity(x, x0, 0.4)
    torch.testing.assert_close(euler_step(x, v, 0.4, 0.0), x0)


def test_euler_step_on_exact_flow_is_exact():
    # On x_σ = (1−σ)x₀ + σε with the true x₀, one Euler step lands exactly on x_σ'.
    x0, eps = torch.randn(2, 4, 3), torch.randn(2, 4, 3)
    x = 0.7 * x0 + 0.3 * eps
    v = velocity(x, x0, 0.3)
    torch.testing.assert_close(euler_step(x, v, 0.3, 0.1), 0.9 * x0 + 0.1 * eps)


def test_gradient_estimation_uses_previous_velocity():
    ge = GradientEstimator(gamma=2.0)
    v1, v2 = torch.ones(3), torch.full((3,), 4.0)
    torch.testing.assert_close(ge(v1), v1)  # no history on the first step
    torch.testing.assert_close(ge(v2), v1 + 2.0 * (v2 - v1))
    # The state is the raw velocity, not the corrected one.
    torch.testing.assert_close(ge.previous, v2)


def test_gradient_estimation_disabled_at_zero():
    ge = GradientEstimator(gamma=0.0)
    v = torch.randn(4)
    assert ge(v) is v
    assert ge(v) is v


def test_noise_latent_and_keep_clean_respect_mask():
    clean, noise = torch.randn(1, 4, 2), torch.randn(1, 4, 2)
    mask = torch.tensor([0.0, 0.3, 1.0, 1.0]).view(1, 4, 1)
    x = noise_latent(clean, noise, mask, 1.0)
    torch.testing.assert_close(x[:, 0], clean[:, 0])
    torch.testing.assert_close(x[:, 1], 0.3 * noise[:, 1] + 0.7 * clean[:, 1])
    torch.testing.assert_close(x[:, 2:], noise[:, 2:])
    blended = keep_clean(torch.zeros_like(clean), mask, clean)
    torch.testing.assert_close(blended[:, 0], clean[:, 0])


def test_renoise_preserves_the_flow_marginal_statistics():
    # x at σ has per-element variance (1−σ)²·var(x₀) + σ²; after renoise to σ̂ it must match σ̂'s.
    g = torch.Generator().manual_seed(0)
    n = 400_000
    x0 = torch.randn(1, n, 1, generator=g) * 0.5
    eps = torch.randn(1, n, 1, generator=g)
    sigma, sigma_hat = 0.4, churn_sigma(0.4, churn=0.5)
    x = (1 - sigma) * x0 + sigma * eps
    out = renoise(x, sigma, sigma_hat, torch.ones(1, n, 1), torch.Generator().manual_seed(1))
    expected_var = (1 - sigma_hat) ** 2 * 0.25 + sigma_hat**2
    assert out.var().item() == pytest.approx(expected_var, rel=0.01)
    # Its clean component is scaled exactly like the forward process at σ̂.
    coef = (out * x0).mean().item() / 0.25
    assert coef == pytest.approx(1 - sigma_hat, abs=0.01)


def test_renoise_leaves_conditioning_tokens_alone():
    x = torch.randn(1, 3, 2)
    mask = torch.tensor([0.0, 1.0, 1.0]).view(1, 3, 1)
    out = renoise(x, 0.5, 0.55, mask, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out[:, 0], x[:, 0])
    assert not torch.equal(out[:, 1:], x[:, 1:])


def test_churn_never_exceeds_one():
    assert churn_sigma(1.0) == 1.0
    assert churn_sigma(0.5) == pytest.approx(0.525)
