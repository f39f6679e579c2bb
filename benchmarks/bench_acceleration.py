"""Speed-up of each `acceleration` level on the 22b text-to-video endpoint (tiny model, CPU).

The levels reuse the guidance delta between refreshes (docs/engine.md), so the speed-up is the share of
transformer samples saved; on the tiny model other costs (decode) weigh more than on the real one, so the
stage-1 denoise time is reported separately.

    python benchmarks/bench_acceleration.py [--model models/tiny]
"""

from __future__ import annotations

import time
from dataclasses import replace

from ltxserve.endpoints import ResolvedMedia, get_endpoint
from tiny_engine import engine_from_args

PAYLOAD = {
    "prompt": "a cowboy in a dusty town",
    "loras": [],
    "video_size": {"width": 256, "height": 192},
    "num_frames": 25,
    "num_inference_steps": 15,
    "use_multiscale": False,
    "enable_prompt_expansion": False,
}


def main() -> None:
    engine = engine_from_args(__doc__)
    endpoint = get_endpoint("fal-ai/ltx-2.3-22b/text-to-video/lora")
    base = endpoint.plan(endpoint.input_model.model_validate(PAYLOAD), ResolvedMedia())
    engine.generate(base)  # warm-up
    baseline = None
    print(f"{'level':8} {'denoise s':>10} {'speed-up':>9}")
    for level in ("none", "regular", "high", "full"):
        engine.denoiser.forward_seconds = 0.0
        start = time.perf_counter()
        engine.generate(replace(base, acceleration=level), on_progress=lambda *a: None)
        wall = time.perf_counter() - start
        denoise = engine.denoiser.forward_seconds
        baseline = baseline or denoise
        print(f"{level:8} {denoise:10.3f} {baseline / denoise:8.2f}×   (wall {wall:.2f} s)")


if __name__ == "__main__":
    main()
