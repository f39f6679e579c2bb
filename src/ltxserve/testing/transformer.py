"""Random inputs for one forward of the LTX-2.3 transformer, for memory checks and step timings."""

from __future__ import annotations

from typing import Any

import torch


def transformer_inputs(
    transformer: Any,
    passes: int,
    latent_grid: tuple[int, int, int],
    audio_tokens: int,
    context_tokens: int,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
    fps: float = 24.0,
) -> dict[str, Any]:
    """Keyword arguments for a diffusers `LTX2VideoTransformer3DModel` forward: `passes` batched guidance
    passes over a (frames, height, width) latent grid and `audio_tokens` audio latents, random latents
    and text contexts (of the model's own widths) in `dtype`, every text token attended, all at σ = 500."""
    config = transformer.config
    frames, height, width = latent_grid
    video_tokens = frames * height * width

    def noise(tokens: int, channels: int) -> torch.Tensor:  # (passes, tokens, channels)
        return torch.randn(passes, tokens, channels, dtype=dtype, device=device)

    def level(*shape: int) -> torch.Tensor:
        return torch.full(shape, 500.0, device=device)

    return dict(
        hidden_states=noise(video_tokens, config.in_channels),
        audio_hidden_states=noise(audio_tokens, config.audio_in_channels),
        encoder_hidden_states=noise(context_tokens, config.cross_attention_dim),
        audio_encoder_hidden_states=noise(context_tokens, config.audio_cross_attention_dim),
        timestep=level(passes, video_tokens),
        audio_timestep=level(passes, audio_tokens),
        sigma=level(passes),
        audio_sigma=level(passes),
        encoder_attention_mask=torch.ones(passes, context_tokens, device=device),
        audio_encoder_attention_mask=torch.ones(passes, context_tokens, device=device),
        fps=fps,
        video_coords=transformer.rope.prepare_video_coords(passes, frames, height, width, device, fps=fps),
        audio_coords=transformer.audio_rope.prepare_audio_coords(passes, audio_tokens, device),
        use_cross_timestep=True,
        return_dict=False,
    )
