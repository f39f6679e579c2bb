"""The engine end to end on the tiny model: what a user of each mode would notice."""

from functools import partial

import numpy as np
import pytest

from ltxserve.engine.request import AudioInput, GenerationCancelled, Guidance, ImageInput
from ltxserve.testing.requests import FULL_VIDEO, guided_request

t2v = partial(guided_request, prompt="a red fox runs through snow", num_inference_steps=3, seed=7)


def speech_like(seconds: float, rate: int = 22050, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))
    return np.stack([wave] * channels).astype(np.float32)


def test_text_to_video_returns_frames_and_48k_stereo_audio(tiny_engine):
    result = tiny_engine.generate(t2v())
    assert result.frames.shape == (9, 64, 64, 3)
    assert result.frames.dtype == np.uint8
    assert result.sample_rate == 48_000
    assert result.waveform.dtype == np.float32
    assert result.waveform.shape == (2, round(9 / 24 * 48_000))
    assert (result.width, result.height, result.num_frames, result.seed) == (64, 64, 9, 7)
    assert np.isfinite(result.waveform).all()


def test_same_seed_is_bit_identical_and_seeds_differ(tiny_engine):
    a, b = tiny_engine.generate(t2v()), tiny_engine.generate(t2v())
    assert np.array_equal(a.frames, b.frames)
    assert np.array_equal(a.waveform, b.waveform)
    c = tiny_engine.generate(t2v(seed=8))
    assert not np.array_equal(a.frames, c.frames)


def test_missing_seed_is_chosen_and_returned(tiny_engine):
    first = tiny_engine.generate(t2v(seed=None))
    again = tiny_engine.generate(t2v(seed=first.seed))
    assert np.array_equal(first.frames, again.frames)


def test_generate_audio_false_returns_no_audio(tiny_engine):
    assert tiny_engine.generate(t2v(generate_audio=False)).waveform is None


def test_audio_to_video_at_full_strength_returns_the_input_exactly(tiny_engine):
    mono = speech_like(0.5)
    request = t2v(mode="audio_to_video", num_frames=9, audio=AudioInput(mono, 22050, strength=1.0))
    result = tiny_engine.generate(request)
    samples = round(9 / 24 * 22050)
    assert result.sample_rate == 22050
    assert np.array_equal(result.waveform, np.concatenate([mono, mono])[:, :samples])
    assert result.frames.shape == (9, 64, 64, 3)


def test_audio_to_video_below_full_strength_regenerates_audio(tiny_engine):
    stereo = speech_like(0.5, rate=48_000, channels=2)
    result = tiny_engine.generate(t2v(mode="audio_to_video", audio=AudioInput(stereo, 48_000, strength=0.5)))
    assert result.sample_rate == 48_000
    assert not np.array_equal(result.waveform, stereo[:, : result.waveform.shape[1]])


def test_text_to_audio_duration_is_frames_over_fps(tiny_engine):
    request = t2v(mode="text_to_audio", num_frames=30, fps=24.0, video_guidance=Guidance())
    result = tiny_engine.generate(request)
    assert result.frames is None
    assert result.waveform.shape == (2, round(30 / 24 * 48_000))


def test_text_to_audio_ignores_video_guidance_and_size(tiny_engine):
    # The video stream is off: its guidance and size cannot change the audio.
    a = tiny_engine.generate(t2v(mode="text_to_audio", video_guidance=Guidance()))
    b = tiny_engine.generate(t2v(mode="text_to_audio", video_guidance=FULL_VIDEO, width=128))
    assert np.array_equal(a.waveform, b.waveform)


def test_two_stage_output_has_the_requested_size(tiny_engine):
    stages = []
    result = tiny_engine.generate(
        t2v(width=128, height=64, use_multiscale=True, distill_lora_scales=(0.2, 0.5)),
        on_progress=lambda stage, step, total: stages.append(stage),
    )
    assert result.frames.shape == (9, 64, 128, 3)
    assert "denoise_stage1" in stages
    assert "upsample" in stages
    assert stages.count("refine") == 3


def test_progress_reports_every_step(tiny_engine):
    steps = []
    tiny_engine.generate(t2v(num_inference_steps=4), on_progress=lambda s, i, n: steps.append((s, i, n)))
    assert [(i, n) for s, i, n in steps if s == "denoise"] == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_cancel_stops_within_one_step(tiny_engine):
    seen = []

    def progress(stage, step, total):
        seen.append((stage, step))

    with pytest.raises(GenerationCancelled):
        tiny_engine.generate(
            t2v(num_inference_steps=8),
            on_progress=progress,
            should_cancel=lambda: sum(1 for s, _ in seen if s == "denoise") >= 2,
        )
    assert [step for stage, step in seen if stage == "denoise"] == [1, 2]


def test_image_strength_zero_equals_no_image_and_one_differs(tiny_engine):
    image = np.random.default_rng(0).integers(0, 255, (80, 96, 3), dtype=np.uint8)
    plain = tiny_engine.generate(t2v())
    ignored = tiny_engine.generate(t2v(image=ImageInput(image, strength=0.0)))
    kept = tiny_engine.generate(t2v(image=ImageInput(image, strength=1.0)))
    assert np.array_equal(plain.frames, ignored.frames)
    assert not np.array_equal(plain.frames, kept.frames)


def test_end_image_conditions_the_video(tiny_engine):
    image = np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    plain = tiny_engine.generate(t2v())
    ended = tiny_engine.generate(t2v(end_image=ImageInput(image, strength=1.0)))
    assert ended.frames.shape == plain.frames.shape
    assert not np.array_equal(plain.frames, ended.frames)


@pytest.mark.parametrize("scheduler", ["ltx2", "linear_quadratic", "beta"])
def test_every_scheduler_runs(tiny_engine, scheduler):
    result = tiny_engine.generate(t2v(scheduler=scheduler))
    assert result.frames.shape == (9, 64, 64, 3)


def test_restart_sampling_and_gradient_estimation_change_the_result_deterministically(tiny_engine):
    plain = tiny_engine.generate(t2v(num_inference_steps=4))
    restart = tiny_engine.generate(t2v(num_inference_steps=4, use_restart_sampling=True))
    assert not np.array_equal(plain.frames, restart.frames)
    assert np.array_equal(
        restart.frames, tiny_engine.generate(t2v(num_inference_steps=4, use_restart_sampling=True)).frames
    )
    ge = tiny_engine.generate(t2v(num_inference_steps=4, gradient_estimation_gamma=2.0))
    assert not np.array_equal(plain.frames, ge.frames)


def test_acceleration_runs_fewer_transformer_passes(tiny_engine):
    batches = []
    transformer = tiny_engine.parts.transformer
    handle = transformer.register_forward_pre_hook(
        lambda module, args, kwargs: batches.append(kwargs["hidden_states"].shape[0]), with_kwargs=True
    )
    try:
        tiny_engine.generate(t2v(num_inference_steps=8))
        full = sum(batches)
        batches.clear()
        fast = tiny_engine.generate(t2v(num_inference_steps=8, acceleration="high"))
    finally:
        handle.remove()
    assert sum(batches) < full
    assert fast.frames.shape == (9, 64, 64, 3)


def test_no_op_guidance_runs_a_single_pass(tiny_engine):
    batches = []
    handle = tiny_engine.parts.transformer.register_forward_pre_hook(
        lambda module, args, kwargs: batches.append(kwargs["hidden_states"].shape[0]), with_kwargs=True
    )
    try:
        tiny_engine.generate(t2v(video_guidance=Guidance(), audio_guidance=Guidance()))
        neutral = list(batches)
        batches.clear()
        tiny_engine.generate(t2v())
    finally:
        handle.remove()
    assert set(neutral) == {1}
    assert set(batches) == {4}  # cond, negative, perturbed and isolated in one forward call
