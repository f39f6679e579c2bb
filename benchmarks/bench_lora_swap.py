"""LoRA swap cost: attaching and detaching a request's adapter set, cold (read from disk) and warm.

Compares it with what a swap by reloading would cost (loading the model again), and reports the
transformer time with 4 adapters applied as hooks and fused (docs/loras.md). Tiny model on CPU unless --model says otherwise.

    python benchmarks/bench_lora_swap.py [--model DIR]
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ltxserve.engine.generation.pipeline import Engine
from ltxserve.engine.request import LoraSpec
from ltxserve.testing.requests import small_request
from tiny_engine import engine_from_args

SETS = 20
REPEATS = 3


def make_loras(source: Path, folder: Path, count: int) -> list[str]:
    """`count` distinct LoRA files shaped like the model's distilled LoRA."""
    tensors = load_file(str(source))
    paths = []
    for i in range(count):
        path = folder / f"user{i}.safetensors"
        save_file({k: v * (0.5 + 0.25 * i) for k, v in tensors.items()}, str(path))
        paths.append(str(path))
    return paths


def main() -> None:
    engine = engine_from_args(__doc__)
    assert engine.parts.distilled_lora_path is not None
    folder = Path(tempfile.mkdtemp())
    paths = make_loras(engine.parts.distilled_lora_path, folder, 6)
    request = small_request(prompt="x", distill_lora_scales=(0.2, 0.5))
    sets = [tuple(LoraSpec(p, 1.0) for p in paths[i : i + 3]) for i in (0, 3)]

    def swap(loras) -> float:
        start = time.perf_counter()
        with engine.adapters.applied(replace(request, loras=loras)) as active:
            active.enter_stage(0)
            active.enter_stage(1)
        return time.perf_counter() - start

    cold = [swap(s) for s in sets]
    warm = sorted(swap(sets[i % 2]) for i in range(SETS))
    print(f"cold attach+detach (3 LoRAs + distilled, read from disk): {1000 * sum(cold) / len(cold):.1f} ms")
    print(
        f"warm attach+detach (cached on the host):                {1000 * warm[len(warm) // 2]:.2f} ms median"
    )

    start = time.perf_counter()
    Engine.load(engine.parts.distilled_lora_path.parent)
    print(f"for comparison, reloading the model:                    {time.perf_counter() - start:.1f} s")

    runs = (
        ("no adapters", (), None),
        ("4 adapters, hooks", sets[0], 0),
        ("4 adapters, fused in place", sets[0], None),
    )
    best = {label: float("inf") for label, _, _ in runs}
    with torch.inference_mode():
        for repeat in range(REPEATS + 1):  # interleaved, best of REPEATS after a warm-up round
            for label, loras, budget in runs:
                engine.adapters.fuse_budget_bytes = budget
                engine.denoiser.forward_seconds = 0.0
                engine.generate(replace(request, loras=loras))
                if repeat:
                    best[label] = min(best[label], engine.denoiser.forward_seconds)
    engine.adapters.fuse_budget_bytes = None
    for label, seconds in best.items():
        print(f"transformer time for 2 steps, {label}: {seconds:.3f} s (best of {REPEATS})")
    hooks, fused = best["4 adapters, hooks"], best["4 adapters, fused in place"]
    print(f"fused / hooks step-time ratio: {fused / hooks:.2f}")


if __name__ == "__main__":
    main()
