"""Engine overhead on the tiny model: the share of wall time outside the transformer, VAE and vocoder.

For each endpoint it plans a small representative input, runs it once to warm up and then times a warm
run, attributing time to the model forwards (transformer, video VAE, audio VAE, vocoder, upsampler) with
wrappers. The remainder — scheduling, guidance arithmetic, conditioning, text encoding when the prompt is
not cached — is the engine's overhead (target: under 5%).

    python benchmarks/bench_overhead.py [--model models/tiny]
"""

from __future__ import annotations

import functools
import time

import numpy as np

from ltxserve.endpoints import ResolvedMedia, get_endpoint
from tiny_engine import engine_from_args

INPUTS = {
    "fal-ai/ltx-2.3-quality/text-to-audio": {"prompt": "rain on a tin roof", "num_frames": 49},
    "fal-ai/ltx-2.3-quality/text-to-audio/lora": {
        "prompt": "rain on a tin roof",
        "num_frames": 49,
        "loras": [],
    },
    "fal-ai/ltx-2.3-quality/audio-to-video/lora": {
        "prompt": "a singer on stage",
        "audio_url": "x",
        "loras": [],
        "resolution": {"width": 256, "height": 192},
        "match_audio_length": False,
        "num_frames": 17,
    },
    "fal-ai/ltx-2.3-22b/audio-to-video": {
        "prompt": "a singer on stage",
        "audio_url": "x",
        "video_size": {"width": 256, "height": 192},
        "match_audio_length": False,
        "num_frames": 17,
        "num_inference_steps": 8,
    },
    "fal-ai/ltx-2.3-22b/text-to-video/lora": {
        "prompt": "a cowboy in a dusty town",
        "loras": [],
        "video_size": {"width": 256, "height": 192},
        "num_frames": 17,
        "num_inference_steps": 8,
    },
}


class ModelClock:
    """Accumulates seconds spent inside the wrapped model calls."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, obj, name: str) -> None:
        original = getattr(obj, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        setattr(obj, name, timed)


def main() -> None:
    engine = engine_from_args(__doc__)
    clock = ModelClock()
    parts = engine.parts
    for module, method in [
        (parts.transformer, "forward"),
        (parts.video_vae, "encode"),
        (parts.video_vae, "decode"),
        (parts.audio_vae, "encode"),
        (parts.audio_vae, "decode"),
        (parts.vocoder, "forward"),
    ] + ([(parts.upsampler, "forward")] if parts.upsampler is not None else []):
        clock.wrap(module, method)

    rate = 48_000
    t = np.arange(rate) / rate
    tone = np.stack([np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32) * 0.3
    media = ResolvedMedia(audio={"audio_url": (tone, rate)})
    print(f"{'endpoint':48} {'wall s':>8} {'model s':>8} {'overhead':>9}")
    for endpoint_id, payload in INPUTS.items():
        endpoint = get_endpoint(endpoint_id)
        # Expansion is measured by bench_safety.py; here the prompt is used as given.
        fields = {**payload, "enable_prompt_expansion": False}
        request = endpoint.plan(endpoint.input_model.model_validate(fields), media).request
        engine.generate(request)  # warm-up (fills the prompt cache, as for repeated negative prompts)
        clock.seconds = 0.0
        start = time.perf_counter()
        engine.generate(request)
        wall = time.perf_counter() - start
        print(f"{endpoint_id:48} {wall:8.3f} {clock.seconds:8.3f} {1 - clock.seconds / wall:9.1%}")


if __name__ == "__main__":
    main()
