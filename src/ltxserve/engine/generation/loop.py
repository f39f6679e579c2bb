"""The one denoise loop every endpoint and stage runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from ltxserve.engine.generation.denoiser import DenoiseFn, StageInputs
from ltxserve.engine.generation.sampling import (
    GradientEstimator,
    churn_sigma,
    euler_step,
    keep_clean,
    renoise,
    velocity,
)
from ltxserve.engine.generation.tokens import TokenState
from ltxserve.engine.request import GenerationCancelled


@dataclass(frozen=True)
class SamplerOptions:
    """How the loop steps: gradient estimation and restart noise."""

    gradient_gamma: float = 0.0
    restart: bool = False


def denoise(
    model: DenoiseFn,
    inputs: StageInputs,
    video: TokenState,
    audio: TokenState,
    sigmas: Sequence[float],
    options: SamplerOptions,
    generator: torch.Generator,
    on_step: Callable[[int, int], None],
    should_cancel: Callable[[], bool],
) -> tuple[TokenState, TokenState]:
    """Euler sampling from sigmas[0] to sigmas[-1] = 0; x̂₀ from the guided `model` at each step."""
    steps = len(sigmas) - 1
    video_ge, audio_ge = GradientEstimator(options.gradient_gamma), GradientEstimator(options.gradient_gamma)
    for i in range(steps):
        if should_cancel():
            raise GenerationCancelled()
        sigma, sigma_next = float(sigmas[i]), float(sigmas[i + 1])
        if options.restart and sigma_next > 0:
            sigma_hat = churn_sigma(sigma)
            if sigma_hat > sigma:
                video = video.with_latent(renoise(video.latent, sigma, sigma_hat, video.mask, generator))
                audio = audio.with_latent(renoise(audio.latent, sigma, sigma_hat, audio.mask, generator))
                sigma = sigma_hat

        video_x0, audio_x0 = model(video, audio, sigma, inputs)
        video_x0 = keep_clean(video_x0, video.mask, video.clean)
        audio_x0 = keep_clean(audio_x0, audio.mask, audio.clean)

        if sigma_next == 0.0:
            video, audio = video.with_latent(video_x0), audio.with_latent(audio_x0)
        else:
            video_v = video_ge(velocity(video.latent, video_x0, sigma))
            audio_v = audio_ge(velocity(audio.latent, audio_x0, sigma))
            video = video.with_latent(euler_step(video.latent, video_v, sigma, sigma_next))
            audio = audio.with_latent(euler_step(audio.latent, audio_v, sigma, sigma_next))
        on_step(i + 1, steps)
    return video, audio
