"""22b/distilled on both kinds of worker: the distilled checkpoint as it is, or dev + distilled LoRA at 1."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest

from ltxserve.engine.generation.pipeline import Engine
from ltxserve.testing.requests import small_request

distilled_request = partial(
    small_request,
    prompt="a red ball",
    scheduler="distilled",
    num_inference_steps=8,
    use_multiscale=True,
    distilled=True,
)


@pytest.fixture(scope="module")
def distilled_engine(tiny_distilled_dir: Path) -> Engine:
    return Engine.load(tiny_distilled_dir)


def test_the_distilled_checkpoint_is_recognised(distilled_engine: Engine, tiny_engine: Engine) -> None:
    assert distilled_engine.parts.distilled
    assert distilled_engine.parts.distilled_lora_path is None
    assert not tiny_engine.parts.distilled
    assert tiny_engine.parts.distilled_lora_path is not None


def test_dev_with_the_lora_at_full_strength_matches_the_distilled_checkpoint(
    distilled_engine: Engine, tiny_engine: Engine
) -> None:
    native = distilled_engine.generate(distilled_request(seed=3))
    via_lora = tiny_engine.generate(distilled_request(seed=3))
    other_seed = tiny_engine.generate(distilled_request(seed=4))
    without_lora = tiny_engine.generate(distilled_request(seed=3, distilled=False))

    def gap(a, b) -> float:
        return float(np.abs(a.frames.astype(np.float32) - b.frames.astype(np.float32)).mean())

    # Same weights up to the bf16 rounding of the fused copy: far closer than another seed or no LoRA.
    assert gap(native, via_lora) < 0.25 * gap(via_lora, other_seed)
    assert gap(native, via_lora) < 0.25 * gap(via_lora, without_lora)
    assert native.waveform is not None
    assert native.frames.shape == (9, 64, 64, 3)
