"""Sampler steps on rectified-flow latents: x_σ = (1 − σ)·x₀ + σ·ε, sigmas from 1 to 0.

All functions are pure: tensors in, tensors out. `mask` is the per-token denoise mask (1 = generate,
0 = keep the clean conditioning latent), shaped to broadcast against the latent.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


def velocity(sample: torch.Tensor, denoised: torch.Tensor, sigma: float) -> torch.Tensor:
    """v = (x − x̂₀) / σ: the direction from the clean estimate towards the noise."""
    return (sample.float() - denoised.float()) / sigma


def euler_step(sample: torch.Tensor, v: torch.Tensor, sigma: float, sigma_next: float) -> torch.Tensor:
    """x ← x + v·(σ_next − σ)."""
    return (sample.float() + v.float() * (sigma_next - sigma)).to(sample.dtype)


def keep_clean(denoised: torch.Tensor, mask: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
    """Blend the prediction with the clean conditioning latent where the mask is below 1."""
    return (denoised.float() * mask + clean.float() * (1.0 - mask)).to(denoised.dtype)


def noise_latent(clean: torch.Tensor, noise: torch.Tensor, mask: torch.Tensor, sigma: float) -> torch.Tensor:
    """Start state: each token noised to σ·mask (the reference's GaussianNoiser)."""
    level = mask * sigma
    return (noise.float() * level + clean.float() * (1.0 - level)).to(clean.dtype)


@dataclass
class GradientEstimator:
    """Gradient estimation (Chen et al. 2024, "Gradient-Estimation Sampler", openreview o2ND9v0CeK).

    Uses v_prev + γ·(v − v_prev) in place of v; γ = 0 disables it. State: the previous raw velocity.
    """

    gamma: float
    previous: torch.Tensor | None = None

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        if self.gamma == 0.0:
            return v
        corrected = v if self.previous is None else self.previous + self.gamma * (v - self.previous)
        self.previous = v
        return corrected


# Noise churn added before each step by restart sampling: σ̂ = σ·(1 + RESTART_CHURN), capped at 1.
RESTART_CHURN = 0.05


def churn_sigma(sigma: float, churn: float = RESTART_CHURN) -> float:
    """The raised noise level σ̂ a restart step re-noises to before evaluating the model."""
    return min(1.0, sigma * (1.0 + churn))


def renoise(
    sample: torch.Tensor,
    sigma: float,
    sigma_hat: float,
    mask: torch.Tensor,
    generator: torch.Generator,
) -> torch.Tensor:
    """Move x from noise level σ to σ̂ ≥ σ along the forward process, per token.

    Stochastic sampling with noise churn (Karras et al. 2022, "Elucidating the Design Space…", Alg. 2),
    adapted to rectified flow: x̂ = a·x + b·ε with a = (1−σ̂)/(1−σ) and b² = σ̂² − (a·σ)², which maps the
    marginal at σ exactly onto the marginal at σ̂. Tokens with mask 0 stay untouched.
    """
    token_sigma = mask * sigma
    token_sigma_hat = mask * sigma_hat
    a = (1.0 - token_sigma_hat) / (1.0 - token_sigma).clamp_min(1e-6)
    b = (token_sigma_hat**2 - (a * token_sigma) ** 2).clamp_min(0.0).sqrt()
    noise = torch.randn(sample.shape, generator=generator, dtype=torch.float32, device="cpu").to(
        sample.device
    )
    return (a * sample.float() + b * noise).to(sample.dtype)
