"""Memory profiles: the `models fit` table for the real 22B preset, and each profile's wall time on the tiny
model relative to `resident` (CPU; the real slowdowns on a GPU come from benchmarks/gpu_check.py).

    .venv/bin/python benchmarks/bench_memory.py [--frames 121 481] [--runs 3] [--skip-timing]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from ltxserve.endpoints import ENDPOINTS, PlanError
from ltxserve.endpoints.memory_fit import default_payload as stand_in_payload
from ltxserve.endpoints.memory_fit import shape_for_input
from ltxserve.engine.memory.peaks import GIB, RequestShape, choose_profile, predict_peaks
from ltxserve.engine.memory.profiles import PROFILES
from ltxserve.engine.memory.sizes import preset_sizes

GPUS_GIB = (24, 32, 48, 80, 141)


def default_payload(endpoint, frames: int) -> dict:
    payload = stand_in_payload(endpoint, frames)
    if "match_audio_length" in endpoint.input_model.model_fields:
        payload["match_audio_length"] = False  # the stand-in audio lasts num_frames anyway
    return payload


def planned(frames_list: list[int]) -> list[tuple[str, int, RequestShape | PlanError]]:
    """Each endpoint's request shape at each length of `frames_list`, or the endpoint's refusal."""
    rows = []
    for endpoint in ENDPOINTS.values():
        for frames in frames_list:
            try:
                shape: RequestShape | PlanError = shape_for_input(endpoint, default_payload(endpoint, frames))
            except PlanError as exc:
                shape = exc
            rows.append((endpoint.endpoint_id, frames, shape))
    return rows


def fit_table(frames_list: list[int]) -> None:
    sizes = preset_sizes("ltx-2.3-22b")
    shapes = planned(frames_list)
    print("## models fit --preset ltx-2.3-22b (predicted peak GiB; profile auto picks)\n")
    print("| endpoint | frames | " + " | ".join(f"{g} GiB" for g in GPUS_GIB) + " |")
    print("|---|---|" + "---|" * len(GPUS_GIB))
    for endpoint_id, frames, shape in shapes:
        if isinstance(shape, PlanError):
            print(f"| {endpoint_id} | {frames} | refused by the endpoint: {shape.msg} |")
            continue
        cells = []
        for gib in GPUS_GIB:
            chosen = choose_profile(sizes, shape, int(gib * GIB))
            cells.append(f"{chosen.profile} {chosen.peak / GIB:.1f}" if chosen else "does not fit")
        print(f"| {endpoint_id} | {shape.num_frames} | " + " | ".join(cells) + " |")
    print("\n## every profile's predicted peak (GiB)\n")
    print("| endpoint | frames | " + " | ".join(PROFILES) + " |")
    print("|---|---|" + "---|" * len(PROFILES))
    for endpoint_id, _, shape in shapes:
        if not isinstance(shape, PlanError):
            peaks = [predict_peaks(sizes, shape, p).peak / GIB for p in PROFILES]
            print(f"| {endpoint_id} | {shape.num_frames} | " + " | ".join(f"{p:.1f}" for p in peaks) + " |")


def timing(runs: int) -> None:
    from ltxserve.engine.generation.pipeline import Engine
    from ltxserve.engine.tiny.writer import write_tiny_model
    from ltxserve.testing.requests import guided_request

    folder = write_tiny_model(Path(tempfile.mkdtemp()) / "tiny", seed=0)
    request = guided_request(
        width=128,
        height=128,
        num_frames=25,
        num_inference_steps=8,
        seed=1,
        use_multiscale=True,
        distill_lora_scales=(0.2, 0.5),
    )
    print("\n## tiny model, CPU float32: wall time per generate (best of runs), relative to resident\n")
    best = {}
    for profile in PROFILES:
        engine = Engine.load(folder, profile=profile)
        engine.generate(request)  # warm-up (first prompt encoding, LoRA reads)
        times = []
        for _ in range(runs):
            engine._prompts.clear()  # every run encodes its prompt, as a new request would
            start = time.perf_counter()
            engine.generate(request)
            times.append(time.perf_counter() - start)
        best[profile] = min(times)
        print(f"{profile:9s} {best[profile]:.2f} s  ×{best[profile] / best['resident']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, nargs="+", default=[121, 481])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args()
    fit_table(args.frames)
    if not args.skip_timing:
        timing(args.runs)


if __name__ == "__main__":
    main()
