"""Prompt-expansion decoding speed: tokens/s of our KV-cached loop against plain `generate()` (tiny Gemma).

Both sample (temperature 0.7, the model's top-k/top-p) exactly N new tokens from the same prompt on the
same model; best of 3 each. On the tiny model the per-token cost is almost all framework overhead, which
is what the loop removes; on Gemma-3 12B on a GPU a token costs a read of the weights (≈ 7 ms on an H100),
and the saved overhead is a smaller share (docs/performance.md).

    python benchmarks/bench_expansion.py [--model DIR] [--tokens 48]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from ltxserve.engine.model import ModelParts
from ltxserve.engine.text.decoding import decode
from ltxserve.engine.text.expander import GemmaExpander
from ltxserve.engine.text.prompts import ExpansionRequest

REPEATS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--tokens", type=int, default=48)
    args = parser.parse_args()
    model_dir = args.model
    if model_dir is None:
        from ltxserve.engine.tiny.writer import write_tiny_model

        model_dir = write_tiny_model(Path(tempfile.mkdtemp()) / "tiny", seed=0)
    parts = ModelParts.load(model_dir)
    model, n = parts.language_model, args.tokens
    inputs = GemmaExpander(parts)._inputs(ExpansionRequest("text_to_video", "a fox in the snow", 1), False)

    def plain() -> None:
        model.generate(**inputs, max_new_tokens=n, min_new_tokens=n, do_sample=True, temperature=0.7)

    def ours() -> None:
        tokens, _ = decode(model, inputs, n, 0.7, set(), torch.Generator().manual_seed(1))
        assert len(tokens) == n

    with torch.inference_mode():
        best = {}
        for name, run in (("generate()", plain), ("KV-cached loop", ours)):
            run()  # warm-up
            times = []
            for _ in range(REPEATS):
                start = time.perf_counter()
                run()
                times.append(time.perf_counter() - start)
            best[name] = n / min(times)
            print(f"{name:16} {best[name]:8.1f} tokens/s ({n} tokens, best of {REPEATS})")
    print(f"ratio: {best['KV-cached loop'] / best['generate()']:.2f}× the tokens/s of generate()")


if __name__ == "__main__":
    main()
