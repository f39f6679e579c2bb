"""`LTXSERVE_COMPILE=blocks`: a compiled run equals an eager one within float tolerance (CPU inductor)."""

from dataclasses import replace

import numpy as np
import pytest

from ltxserve.engine.generation.compiled import compile_blocks
from ltxserve.engine.generation.pipeline import Engine
from ltxserve.engine.generation.tuning import Tuning
from ltxserve.engine.request import Guidance, LoraSpec
from ltxserve.testing.requests import small_request


@pytest.mark.slow
def test_compiled_blocks_match_eager_and_loras_still_apply(tiny_model_dir, tiny_engine):
    request = small_request(
        video_guidance=Guidance(cfg=3.0, stg=1.0, modality=3.0),
        audio_guidance=Guidance(cfg=7.0, modality=3.0),
        seed=2,
    )
    lora = (LoraSpec(str(tiny_engine.parts.distilled_lora_path), 0.8),)
    compiled = Engine.load(tiny_model_dir, tuning=Tuning(compile="blocks"))
    assert compiled.compiled
    blocks = compiled.parts.transformer.transformer_blocks
    assert all(getattr(b, "_compiled_call_impl", None) is not None for b in blocks)
    for loras in ((), lora):  # in-place fused weights are graph inputs: no stale constants
        eager_out = tiny_engine.generate(replace(request, loras=loras))
        compiled_out = compiled.generate(replace(request, loras=loras))
        assert np.abs(eager_out.frames.astype(int) - compiled_out.frames.astype(int)).max() <= 2
        assert np.abs(eager_out.waveform - compiled_out.waveform).max() < 1e-3


def test_unknown_compile_mode_is_refused():
    with pytest.raises(ValueError, match="blocks"):
        compile_blocks(None, "everything")
