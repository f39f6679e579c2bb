"""Small engine requests for the tiny model, shared by tests and benchmarks.

Each caller names what its check depends on (seed, guidance, steps ...) and takes the rest from here:
`functools.partial(small_request, seed=3)` is a per-file builder whose keywords a call can still change.
"""

from __future__ import annotations

from typing import Any

from ltxserve.engine.request import EngineRequest, Guidance

# Every guidance pass on (CFG, STG with rescale, modality isolation): the quality endpoints' defaults.
FULL_VIDEO = Guidance(cfg=3.0, stg=1.0, rescale=0.7, modality=3.0)
FULL_AUDIO = Guidance(cfg=7.0, stg=1.0, rescale=0.7, modality=3.0)

# The smallest text-to-video request the tiny model runs: 64×64, 9 frames (2 latent frames), 2 steps.
SMALL: dict[str, Any] = {
    "mode": "text_to_video",
    "prompt": "a kite over a beach",
    "width": 64,
    "height": 64,
    "num_frames": 9,
    "num_inference_steps": 2,
}


def small_request(**fields: Any) -> EngineRequest:
    """`SMALL` with neutral guidance, any of its fields (or others of `EngineRequest`) changed by `fields`."""
    return EngineRequest(**{**SMALL, **fields})


def guided_request(**fields: Any) -> EngineRequest:
    """`small_request` of a fox in the snow with a negative prompt and every guidance pass on."""
    guided = {"prompt": "a fox in the snow", "negative_prompt": "blurry"}
    return small_request(**{**guided, "video_guidance": FULL_VIDEO, "audio_guidance": FULL_AUDIO, **fields})
