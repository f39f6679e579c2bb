"""`LTXSERVE_ATTENTION`: the backend reaches every processor (through the STG/isolation wrappers)."""

from dataclasses import replace
from functools import partial

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from ltxserve.engine.generation import attention
from ltxserve.engine.generation.attention import AttentionUnavailable, backends_in_use, resolve, use_attention
from ltxserve.engine.request import Guidance
from ltxserve.settings import Settings
from ltxserve.testing.requests import small_request

guided = partial(
    small_request,
    video_guidance=Guidance(cfg=3.0, stg=1.0, modality=3.0),
    audio_guidance=Guidance(cfg=7.0, stg=1.0, modality=3.0),
    seed=5,
)


def test_auto_on_cpu_is_pytorch_sdpa_everywhere(tiny_engine):
    assert tiny_engine.attention == "sdpa"
    used = backends_in_use(tiny_engine.parts.transformer)
    assert set(used) == {
        "attn1",
        "attn2",
        "audio_attn1",
        "audio_attn2",
        "audio_to_video_attn",
        "video_to_audio_attn",
    }
    assert set(used.values()) == {"native"}


@pytest.mark.parametrize("name", ["flash", "flash3", "cudnn", "sage"])
def test_an_explicit_backend_that_cannot_run_is_refused_naming_what_it_needs(name):
    with pytest.raises(AttentionUnavailable, match="needs"):
        resolve(name, torch.device("cpu"))


def test_unknown_backends_are_refused_by_the_settings():
    with pytest.raises(ValidationError):
        Settings(attention="fastest")
    assert Settings(attention="flash3").attention == "flash3"


def test_maskless_kernels_leave_the_masked_text_attention_on_sdpa(tiny_engine, monkeypatch):
    transformer = tiny_engine.parts.transformer
    monkeypatch.setattr(attention, "missing", lambda name, device: None)  # pretend flash-attn is installed
    try:
        assert use_attention(transformer, "flash") == "flash"
        used = backends_in_use(transformer)
        assert used["attn1"] == used["audio_attn1"] == used["audio_to_video_attn"] == "flash"
        assert used["attn2"] == used["audio_attn2"] == "native"  # the padded prompt needs its mask
    finally:
        use_attention(transformer, "sdpa")


def test_wrapped_processors_follow_diffusers_set_attention_backend_and_keep_per_modality_stg(tiny_engine):
    transformer = tiny_engine.parts.transformer
    native = tiny_engine.generate(guided())
    transformer.set_attention_backend("_native_math")  # diffusers' own API reaches through our wrappers
    try:
        assert set(backends_in_use(transformer).values()) == {"_native_math"}
        math = tiny_engine.generate(guided())
        video_stg_only = tiny_engine.generate(
            guided(audio_guidance=replace(guided().audio_guidance, stg=0.0))
        )
    finally:
        use_attention(transformer, "sdpa")
    assert np.abs(native.frames.astype(int) - math.frames.astype(int)).max() <= 2
    assert np.abs(native.waveform - math.waveform).max() < 1e-3
    # The per-modality STG routing still works under another backend: audio STG off changes the audio.
    assert not np.allclose(math.waveform, video_stg_only.waveform)


def test_settings_offer_exactly_the_engines_choices():
    """The operator's settings (which may not import the engine) list the same choices the engine takes."""
    from typing import get_args

    from ltxserve.engine.generation.compiled import COMPILE_CHOICES
    from ltxserve.engine.memory.profiles import PROFILE_CHOICES

    fields = Settings.model_fields
    assert get_args(fields["attention"].annotation) == attention.CHOICES
    assert get_args(fields["compile"].annotation) == COMPILE_CHOICES
    assert get_args(fields["memory"].annotation) == PROFILE_CHOICES
