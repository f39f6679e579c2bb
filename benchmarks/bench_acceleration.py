"""Speed-up of each `acceleration` level on the 22b text-to-video endpoint (tiny model, CPU).

The levels reuse the guidance delta between refreshes (docs/engine.md): it prints the transformer samples
each level evaluates (exact, what scales with step time on a real GPU model) and the measured transformer
time (best of 3; on a shared 2-core CPU this is noisy, so read it as a ratio).

    python benchmarks/bench_acceleration.py [--model models/tiny]
"""

from __future__ import annotations

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
    base = endpoint.plan(endpoint.input_model.model_validate(PAYLOAD), ResolvedMedia()).request
    engine.generate(base)  # warm-up
    samples: list[int] = []
    engine.parts.transformer.register_forward_pre_hook(
        lambda module, args, kwargs: samples.append(kwargs["hidden_states"].shape[0]), with_kwargs=True
    )
    baseline = None
    print(f"{'level':8} {'samples':>8} {'denoise s (best of 3)':>22} {'speed-up':>9}")
    for level in ("none", "regular", "high", "full"):
        times = []
        for _ in range(3):
            samples.clear()
            engine.denoiser.forward_seconds = 0.0
            engine.generate(replace(base, acceleration=level))
            times.append(engine.denoiser.forward_seconds)
        best = min(times)
        baseline = baseline or best
        print(f"{level:8} {sum(samples):8d} {best:22.3f} {baseline / best:8.2f}×")


if __name__ == "__main__":
    main()
