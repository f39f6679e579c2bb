"""Batched guidance passes give exactly what separate transformer calls give."""

import torch

from ltxserve.engine.generation.conditioning import audio_tokens, video_tokens
from ltxserve.engine.generation.denoiser import StageInputs
from ltxserve.engine.geometry import LatentGeometry
from ltxserve.engine.guidance import GuidanceBatch, GuidancePass, guidance_batch
from ltxserve.engine.request import Guidance
from ltxserve.engine.text.encode import encode_prompt


def _setup(engine):
    parts = engine.parts
    g = torch.Generator().manual_seed(0)
    geometry = LatentGeometry.build(64, 64, 9, 24.0, False, parts.channels, parts.scales)
    video = video_tokens(parts, geometry, geometry.video, None, None, g)
    audio = audio_tokens(parts, geometry, None, g)
    pos, neg = encode_prompt(parts, "a boat"), encode_prompt(parts, "a car")
    return parts, video, audio, pos, neg


def _single(engine, video, audio, ctx, sigma, **switches):
    n = 1
    return engine.parts.transformer(
        hidden_states=video.latent,
        audio_hidden_states=audio.latent,
        encoder_hidden_states=ctx.video,
        audio_encoder_hidden_states=ctx.audio,
        timestep=video.mask[..., 0] * sigma * 1000,
        audio_timestep=audio.mask[..., 0] * sigma * 1000,
        sigma=torch.full((n,), sigma * 1000),
        audio_sigma=torch.full((n,), sigma * 1000),
        encoder_attention_mask=ctx.mask,
        audio_encoder_attention_mask=ctx.mask,
        fps=24.0,
        video_coords=video.coords,
        audio_coords=audio.coords,
        use_cross_timestep=True,
        return_dict=False,
        **switches,
    )


@torch.inference_mode()
def test_batched_passes_match_separate_calls(tiny_engine):
    parts, video, audio, pos, neg = _setup(tiny_engine)
    block = parts.default_stg_blocks[0]
    batch = guidance_batch(Guidance(3, 1, 0, 3), Guidance(7, 1, 0, 3))
    assert batch.passes == (
        GuidancePass.COND,
        GuidancePass.NEGATIVE,
        GuidancePass.PERTURBED,
        GuidancePass.ISOLATED,
    )
    inputs = StageInputs(pos, neg, Guidance(3, 1, 0, 3), Guidance(7, 1, 0, 3), batch, (block,), 24.0)
    batched_v, batched_a = tiny_engine.denoiser._forward(video, audio, 0.6, inputs, batch)

    expected = [
        _single(tiny_engine, video, audio, pos, 0.6),
        _single(tiny_engine, video, audio, neg, 0.6),
        _single(
            tiny_engine,
            video,
            audio,
            pos,
            0.6,
            spatio_temporal_guidance_blocks=[block],
            perturbation_mask=torch.zeros(1),
        ),
        _single(tiny_engine, video, audio, pos, 0.6, isolate_modalities=True),
    ]
    for i, (v, a) in enumerate(expected):
        torch.testing.assert_close(batched_v[i : i + 1], v.float(), atol=2e-5, rtol=1e-4)
        torch.testing.assert_close(batched_a[i : i + 1], a.float(), atol=2e-5, rtol=1e-4)


@torch.inference_mode()
def test_video_only_stg_leaves_audio_self_attention_alone(tiny_engine):
    parts, video, audio, pos, _neg = _setup(tiny_engine)
    block = parts.default_stg_blocks[0]
    both = GuidanceBatch((GuidancePass.COND, GuidancePass.PERTURBED), video_stg=True, audio_stg=True)
    video_only = GuidanceBatch((GuidancePass.COND, GuidancePass.PERTURBED), video_stg=True, audio_stg=False)
    inputs = StageInputs(pos, None, Guidance(stg=1), Guidance(), video_only, (block,), 24.0)
    v_both, a_both = tiny_engine.denoiser._forward(video, audio, 0.6, inputs, both)
    v_only, a_only = tiny_engine.denoiser._forward(video, audio, 0.6, inputs, video_only)
    # The perturbed sample differs once audio self-attention is kept; the conditional one never changes.
    torch.testing.assert_close(v_both[:1], v_only[:1])
    assert not torch.allclose(a_both[1:], a_only[1:])
    assert not torch.allclose(a_only[1:], a_only[:1])  # video STG still reaches audio through a2v/v2a
