"""Kernel-launch-relevant counts per denoising step (tiny model, CPU profiler; docs/performance.md).

The default `fal-ai/ltx-2.3-22b/text-to-video/lora` guidance (4 passes batched: cond, negative, video
STG, modality isolation) at a small size, one stage. Prints operators, leaf operators (≈ kernels a GPU
would launch) and host syncs per step.

    python benchmarks/bench_step_ops.py [--model DIR]
"""

from __future__ import annotations

from ltxserve.endpoints import ResolvedMedia, get_endpoint
from step_profile import step_counts
from tiny_engine import engine_from_args

ENDPOINT = "fal-ai/ltx-2.3-22b/text-to-video/lora"


def main() -> None:
    engine = engine_from_args(__doc__)
    endpoint = get_endpoint(ENDPOINT)
    fields = {
        "prompt": "a cowboy in a dusty town",
        "loras": [],
        "video_size": {"width": 256, "height": 192},
        "num_frames": 17,
        "use_multiscale": False,
        "enable_prompt_expansion": False,
    }
    request = endpoint.plan(endpoint.input_model.model_validate(fields), ResolvedMedia()).request
    counts = step_counts(engine, request)
    print(f"per stage-1 step ({len(engine.parts.transformer.transformer_blocks)} blocks, 4 passes batched):")
    for key, value in counts.items():
        print(f"  {key:28} {value:8.1f}")


if __name__ == "__main__":
    main()
