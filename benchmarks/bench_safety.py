"""Safety checker and prompt expansion costs (CPU): checker time per frame and its share of a request,
prompt-policy time, and expansion time with the tiny model's Gemma.

The checker scores one frame per second plus the first and last (docs/safety.md), so a 5 s clip at 24 fps
costs 6 classifier runs whatever the resolution (open_nsfw always sees 224x224).

    python benchmarks/bench_safety.py [--model models/tiny] [--threads N] [--request-s SECONDS]

`--request-s`: a request time measured elsewhere (e.g. the real model on a GPU) to report the checker's
share of it as well as its share of a tiny-model request here.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from ltxserve.safety import SafetyChecker, SafetyConfig
from ltxserve.safety.frames import sample_frame_indices
from ltxserve.safety.nsfw import NsfwClassifier
from ltxserve.safety.policy import PromptPolicy

PROMPT = "A woman in a red coat opens an old wooden door and steps into a warm kitchen full of light."
PAYLOAD = {
    "prompt": PROMPT,
    "loras": [],
    "video_size": {"width": 256, "height": 192},
    "num_frames": 121,
    "num_inference_steps": 8,
    "use_multiscale": False,
    "enable_prompt_expansion": False,
}


def timed(fn, repeat: int) -> float:
    """Median seconds of `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_checker(threads: int | None) -> float:
    """Prints classifier figures; returns the checker's seconds for a 5 s, 24 fps, 768x512 output."""
    classifier = NsfwClassifier(threads=threads)
    start = time.perf_counter()
    classifier.scores([np.zeros((64, 64, 3), np.uint8)])
    print(f"classifier load + first frame: {time.perf_counter() - start:.2f} s (once per worker)")
    frames = np.random.default_rng(0).integers(0, 255, (121, 512, 768, 3), dtype=np.uint8)
    one = timed(lambda: classifier.scores([frames[0]]), 10)
    print(f"one 768x512 frame: {one * 1000:.1f} ms")
    checker = SafetyChecker(SafetyConfig(), classifier)
    sampled = len(sample_frame_indices(len(frames), 24.0))
    per_clip = timed(lambda: checker.check_frames(frames, 24.0), 5)
    print(f"5 s clip at 24 fps ({sampled} of 121 frames scored): {per_clip * 1000:.0f} ms")
    print(f"  per checked frame: {per_clip / sampled * 1000:.1f} ms")
    return per_clip


def bench_policy() -> None:
    policy = PromptPolicy(None)
    per_prompt = timed(lambda: policy.violates(PROMPT * 4), 200)
    print(f"prompt policy, default list, 360-character prompt: {per_prompt * 1e6:.0f} µs")


def bench_request(model_dir: Path, checker_s: float, request_s: float | None) -> None:
    from ltxserve.endpoints import ResolvedMedia, get_endpoint
    from ltxserve.engine.generation.pipeline import Engine
    from ltxserve.engine.text.prompts import ExpansionRequest

    engine = Engine.load(model_dir)
    endpoint = get_endpoint("fal-ai/ltx-2.3-22b/text-to-video/lora")
    request = endpoint.plan(endpoint.input_model.model_validate(PAYLOAD), ResolvedMedia()).request
    engine.generate(request)  # warm-up
    generate_s = timed(lambda: engine.generate(request), 2)
    print(f"tiny-model request (256x192, 121 frames, 8 steps): {generate_s:.2f} s")
    print(f"  checker share of it (5 s clip): {checker_s / (generate_s + checker_s) * 100:.1f}%")
    if request_s:
        print(
            f"  checker share of a {request_s:g} s request: {checker_s / (request_s + checker_s) * 100:.2f}%"
        )
    expander = engine.expander
    expander.expand(ExpansionRequest("text_to_video", "a fox", 0))  # warm-up
    words, times = [], []
    for seed in range(1, 6):
        start = time.perf_counter()
        words.append(
            len(expander.expand(ExpansionRequest("text_to_video", "a fox in the snow", seed)).split())
        )
        times.append(time.perf_counter() - start)
    print(
        f"expansion, tiny Gemma (up to {expander.options.max_new_tokens} new tokens): "
        f"median {statistics.median(times):.2f} s, max {max(times):.2f} s, {statistics.median(words)} words"
    )
    image = np.random.default_rng(1).integers(0, 255, (192, 256, 3), dtype=np.uint8)
    with_image = timed(lambda: expander.expand(ExpansionRequest("audio_to_video", "a singer", 1, image)), 3)
    print(f"expansion with a first image (audio-to-video): {with_image:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=None, help="classifier threads (default: all cores)")
    parser.add_argument("--request-s", type=float, default=None)
    args = parser.parse_args()
    checker_s = bench_checker(args.threads)
    bench_policy()
    model_dir = args.model
    if model_dir is None:
        from ltxserve.engine.tiny.writer import write_tiny_model

        model_dir = Path(tempfile.mkdtemp()) / "tiny"
        write_tiny_model(model_dir, seed=0)
    bench_request(model_dir, checker_s, args.request_s)


if __name__ == "__main__":
    main()
