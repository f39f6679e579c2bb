"""The real-size GPU check: one script, one JSON, every speed and memory figure docs/performance.md quotes.

    python benchmarks/gpu_check.py --out DIR [--budget-s 480] [--smoke]

Builds LTX-2.3 with random full-size bf16 weights directly on the GPU (gpu_model.py: the project's module
configs, no files), then drives the project's own engine, adapters and attention/compile settings. Each
section writes its results into DIR/gpu_check.json as soon as it ends, so a timeout still leaves every
finished section; a section that fails records its error and the next one runs. `--smoke` runs every
section on the CPU with the tiny model at reduced sizes (CI runs it so the script cannot rot).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import itertools
import json
import os
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

import flops_model
import gpu_model
from ltxserve.endpoints import ResolvedMedia, get_endpoint
from ltxserve.engine.request import EngineRequest, GenerationCancelled, Guidance

ENDPOINT = "fal-ai/ltx-2.3-22b/text-to-video/lora"
GIB = 1024**3


@dataclass(frozen=True)
class Sizes:
    """The shapes a run measures (full size on a GPU, reduced for --smoke)."""

    stage1: tuple[int, int, int]  # width, height, frames (the default request's first stage)
    stage2: tuple[int, int, int]  # the refine stage
    long: tuple[int, int, int]  # one refine step at the longest clip
    decode_frames: tuple[int, ...]
    lora_rank: int
    steps: int  # timed steps per measurement (+1 warm-up step)
    budget_gib: float = 80.0


FULL = Sizes((640, 352, 121), (1280, 704, 121), (1280, 704, 481), (121, 481), 384, 3)
SMOKE = Sizes((128, 64, 9), (256, 128, 9), (256, 128, 25), (9, 25), 4, 2)


@dataclass
class Context:
    device: torch.device
    dtype: torch.dtype
    sizes: Sizes
    smoke: bool
    config: dict = field(default_factory=dict)
    upsampler: dict = field(default_factory=dict)
    text: dict = field(default_factory=dict)
    parts: Any = None
    engine: Any = None
    request: Any = None
    results: dict[str, Any] = field(default_factory=dict)  # finished sections, by name


class Check:
    """Runs sections in order within a time budget, writing the JSON after each."""

    def __init__(self, out: Path, budget_s: float) -> None:
        self.path = out / "gpu_check.json"
        self.deadline = time.monotonic() + budget_s
        self.results: dict[str, Any] = {"started": _now(), "budget_s": budget_s, "sections": {}}

    def run(self, name: str, section, ctx: Context, estimate_s: float) -> None:
        left = self.deadline - time.monotonic()
        entry: dict[str, Any]
        if left < estimate_s:
            entry = {
                "status": "skipped",
                "reason": f"{left:.0f} s of budget left, needs ≈ {estimate_s:.0f} s",
            }
        else:
            start = time.perf_counter()
            try:
                entry = {"status": "ok", **section(ctx)}
            except Exception as exc:  # a failed section is recorded; the next one still runs
                entry = {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:2000]}
                entry["traceback"] = traceback.format_exc(limit=6)[-3000:]
            entry["seconds"] = round(time.perf_counter() - start, 3)
            _free(ctx.device)
        self.results["sections"][name] = entry
        self.write()
        print(f"{name:14} {entry['status']:8} {entry.get('seconds', 0):7.1f} s", flush=True)

    def write(self) -> None:
        self.results["updated"] = _now()
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.results, indent=2, default=str))
        os.replace(tmp, self.path)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _free(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()


def _peak_reset(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def _peak_gib(device: torch.device) -> float | None:
    return round(torch.cuda.max_memory_allocated(device) / GIB, 2) if device.type == "cuda" else None


# --- requests and step timing ------------------------------------------------------------------


def default_request(smoke: bool) -> EngineRequest:
    """The endpoint's default request (prompt expansion off: the step sections time the transformer)."""
    endpoint = get_endpoint(ENDPOINT)
    fields = {"prompt": "A cowboy walking through a dusty town at high noon", "loras": []}
    request = endpoint.plan(endpoint.input_model.model_validate(fields), ResolvedMedia()).request
    return replace(request, enable_prompt_expansion=False, distill_lora_scales=(0.0, 0.0))


def shaped(request: EngineRequest, size: tuple[int, int, int], passes: int) -> EngineRequest:
    """One stage at `size`: all default guidance passes, or one (the refine stage's)."""
    width, height, frames = size
    out = replace(request, width=width, height=height, num_frames=frames, use_multiscale=False)
    if passes == 1:
        out = replace(out, video_guidance=Guidance(), audio_guidance=Guidance())
    return out


def time_steps(ctx: Context, request: EngineRequest, steps: int) -> dict[str, Any]:
    """Median seconds per denoising step after one warm-up step; the run is cancelled before decoding."""
    marks: list[float] = []

    def progress(stage: str, step: int, total: int) -> None:
        if stage.startswith("denoise"):
            _sync(ctx.device)
            marks.append(time.perf_counter())

    _peak_reset(ctx.device)
    with contextlib.suppress(GenerationCancelled):  # cancelled after the timed steps: no decode
        ctx.engine.generate(
            replace(request, num_inference_steps=steps + 2), progress, lambda: len(marks) > steps
        )
    gaps = sorted(b - a for a, b in itertools.pairwise(marks))
    return {
        "s_per_step": round(gaps[len(gaps) // 2], 4),
        "steps_timed": len(gaps),
        "peak_gib": _peak_gib(ctx.device),
    }


def stage_figures(ctx: Context, size: tuple[int, int, int], passes: int) -> dict[str, Any]:
    request = shaped(ctx.request, size, passes)
    tflop = flops_model.transformer_tflop(ctx.config, *size, request.fps) * passes
    timing = time_steps(ctx, request, ctx.sizes.steps)
    achieved = tflop / timing["s_per_step"]
    peak, _ = flops_model.peak_for(_device_name(ctx.device))
    figures = {"size": list(size), "passes": passes, "tflop_per_step": _sig(tflop), **timing}
    figures["achieved_tflops"] = _sig(achieved)
    if peak:
        figures["pct_of_bf16_peak"] = round(100 * achieved / peak, 1)
    return figures


def _sig(value: float) -> float:
    """Four significant digits (tiny-model FLOPs would round to 0 at fixed decimals)."""
    return float(f"{value:.4g}")


def _device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


# --- sections ----------------------------------------------------------------------------------


def environment(ctx: Context) -> dict[str, Any]:
    import importlib.metadata as md

    from ltxserve.engine.generation import attention

    def version(package: str) -> str | None:
        try:
            return md.version(package)
        except md.PackageNotFoundError:
            return None

    env: dict[str, Any] = {
        "device": _device_name(ctx.device),
        "smoke": ctx.smoke,
        "versions": {
            p: version(p) for p in ("torch", "diffusers", "transformers", "flash-attn", "sageattention")
        },
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "attention_backends": attention.available(ctx.device),
        "attention_missing": {n: attention.missing(n, ctx.device) for n in attention.NEEDS},
    }
    if ctx.device.type == "cuda":
        props = torch.cuda.get_device_properties(ctx.device)
        env["gpu"] = {
            "name": props.name,
            "memory_gib": round(props.total_memory / GIB, 1),
            "capability": list(torch.cuda.get_device_capability(ctx.device)),
        }
        env["sdpa_kernels"] = {
            "flash": torch.backends.cuda.flash_sdp_enabled(),
            "mem_efficient": torch.backends.cuda.mem_efficient_sdp_enabled(),
            "cudnn": torch.backends.cuda.cudnn_sdp_enabled(),
            "math": torch.backends.cuda.math_sdp_enabled(),
        }
    env["peak_tflops"], env["hbm_tbps"] = flops_model.peak_for(env["device"])
    return env


def build(ctx: Context) -> dict[str, Any]:
    config = gpu_model.tiny_config() if ctx.smoke else gpu_model.full_config()
    ctx.config, ctx.upsampler, ctx.text, source = config
    ctx.parts, sizes = gpu_model.build_parts(ctx.config, ctx.upsampler, ctx.text, ctx.device, ctx.dtype)
    ctx.request = default_request(ctx.smoke)
    ctx.engine = gpu_model.engine_for(ctx.parts, (ctx.request.prompt, ctx.request.negative_prompt))
    parts = {name: {"gib": round(b / GIB, 3), "build_s": round(s, 2)} for name, (b, s) in sizes.items()}
    parts["gemma3_text (counted, not built)"] = {
        "gib": round(gpu_model.gemma_bytes(ctx.text, ctx.dtype) / GIB, 2)
    }
    allocated = torch.cuda.memory_allocated(ctx.device) / GIB if ctx.device.type == "cuda" else None
    return {
        "config": source,
        "dtype": str(ctx.dtype),
        "parts": parts,
        "device_allocated_gib": allocated,
        "attention": ctx.engine.attention,
    }


def stage1(ctx: Context) -> dict[str, Any]:
    passes = len(_passes(ctx.request))
    return stage_figures(ctx, ctx.sizes.stage1, passes)


def stage2(ctx: Context) -> dict[str, Any]:
    return stage_figures(ctx, ctx.sizes.stage2, 1)


def _passes(request: EngineRequest):
    from ltxserve.engine.guidance import request_batch

    return request_batch(request).passes


def attention_backends(ctx: Context) -> dict[str, Any]:
    from ltxserve.engine.generation.attention import available, use_attention

    out: dict[str, Any] = {}
    passes = len(_passes(ctx.request))
    for name in available(ctx.device) + (["sage"] if "sage" not in available(ctx.device) else []):
        try:
            use_attention(ctx.parts.transformer, name, ctx.device)
            out[name] = {
                "stage1": stage_figures(ctx, ctx.sizes.stage1, passes),
                "stage2": stage_figures(ctx, ctx.sizes.stage2, 1),
            }
        except Exception as exc:
            out[name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    use_attention(ctx.parts.transformer, ctx.engine.attention, ctx.device)
    return out


def memory(ctx: Context) -> dict[str, Any]:
    """Predicted peaks per stage and profile from the memory model (engine/memory/peaks.py, issue 9)."""
    try:
        from ltxserve.endpoints.memory_fit import shape_for_input  # type: ignore[import-not-found]
        from ltxserve.engine.memory.peaks import predict_peaks  # type: ignore[import-not-found]
        from ltxserve.engine.memory.profiles import PROFILES  # type: ignore[import-not-found]
        from ltxserve.engine.memory.sizes import preset_sizes  # type: ignore[import-not-found]
    except ImportError as exc:
        return {"predicted": None, "note": f"memory model not in this build ({exc})"}
    sizes = preset_sizes("ltx-2.3-22b")
    shape = shape_for_input(get_endpoint(ENDPOINT), {"prompt": "x", "loras": []})
    budget = int(ctx.sizes.budget_gib * GIB)
    return {
        "budget_gib": ctx.sizes.budget_gib,
        "predicted": {p: predict_peaks(sizes, shape, p).to_json(budget) for p in PROFILES},
    }


def lora(ctx: Context) -> dict[str, Any]:
    """Fuse/restore seconds of a rank-R LoRA over every block linear, and the hook overhead per step."""
    from ltxserve.engine.adapters.lora import AdapterSet

    transformer = ctx.parts.transformer
    weights = gpu_model.random_lora(transformer, ctx.sizes.lora_rank, pin=ctx.device.type == "cuda")
    components = {"transformer": transformer, "connectors": ctx.parts.connectors}
    out: dict[str, Any] = {"rank": ctx.sizes.lora_rank, "factor_gib": round(weights.nbytes / GIB, 3)}

    def timed(action) -> float:
        _sync(ctx.device)
        start = time.perf_counter()
        action()
        _sync(ctx.device)
        return round(time.perf_counter() - start, 4)

    for round_name in ("first (takes the host backup)", "later (backup reused)"):
        adapters = AdapterSet(
            components,
            backup=ctx.engine.adapters.backup,
            compute_dtype=ctx.dtype,
            modules=ctx.engine.adapters.modules,
        )
        adapters.attach("distilled", weights, 0.25)
        _peak_reset(ctx.device)
        fused: list[bool] = []
        figures = {"fuse_s": timed(lambda a=adapters, f=fused: f.append(a.activate()))}
        figures["fused"] = fused[0]
        figures["rescale_s"] = timed(lambda a=adapters: a.set_scale("distilled", 0.5))
        figures["restore_s"] = timed(adapters.detach)
        figures["peak_gib"] = _peak_gib(ctx.device)
        out[round_name] = figures
    out["host_backup_gib"] = round(ctx.engine.adapters.backup.nbytes / GIB, 3)
    request = shaped(ctx.request, ctx.sizes.stage2, 1)
    plain = time_steps(ctx, request, ctx.sizes.steps)["s_per_step"]
    adapters = AdapterSet(components, compute_dtype=ctx.dtype, modules=ctx.engine.adapters.modules)
    adapters.attach("distilled", weights, 0.5)
    adapters.activate(device_budget=0)  # force hooks
    try:
        hooked = time_steps(ctx, request, ctx.sizes.steps)["s_per_step"]
    finally:
        adapters.detach()
    out["stage2_step_s"] = {
        "plain_or_fused": plain,
        "hooks": hooked,
        "hook_overhead": round(hooked / plain - 1, 3),
    }
    return out


def vae(ctx: Context) -> dict[str, Any]:
    """Video decode time and peak at the refine size, untiled and with diffusers' VAE tiling."""
    from ltxserve.engine.generation.vae import decode_video

    width, height, _ = ctx.sizes.stage2
    vae_module = ctx.parts.video_vae
    out: dict[str, Any] = {}
    for frames in ctx.sizes.decode_frames:
        latent = torch.randn(
            1,
            ctx.parts.video_channels,
            (frames - 1) // 8 + 1,
            height // 32,
            width // 32,
            device=ctx.device,
            dtype=ctx.dtype,
        )
        for tiled in (False, True):
            key = f"{frames}_frames_{'tiled' if tiled else 'untiled'}"
            try:
                vae_module.enable_tiling() if tiled else vae_module.disable_tiling()
                _peak_reset(ctx.device)
                _sync(ctx.device)
                start = time.perf_counter()
                with torch.inference_mode():
                    decode_video(vae_module, latent)
                _sync(ctx.device)
                out[key] = {"s": round(time.perf_counter() - start, 3), "peak_gib": _peak_gib(ctx.device)}
            except Exception as exc:  # untiled 481 frames may not fit: that is a result
                out[key] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            _free(ctx.device)
    vae_module.disable_tiling()
    return out


def long_step(ctx: Context) -> dict[str, Any]:
    return stage_figures(ctx, ctx.sizes.long, 1)


def syncs(ctx: Context) -> dict[str, Any]:
    from step_profile import step_counts

    width, height, _ = ctx.sizes.stage1
    request = shaped(ctx.request, (width // 2 // 32 * 32 or 64, height // 2 // 32 * 32 or 64, 9), 4)
    steps = (1, 2) if ctx.smoke else (2, 4)
    return {"per_step": step_counts(ctx.engine, request, *steps)}


def compiled(ctx: Context) -> dict[str, Any]:
    from ltxserve.engine.generation.compiled import compile_blocks

    kwargs = {"backend": "eager"} if ctx.smoke else {}
    start = time.perf_counter()
    compile_blocks(ctx.parts.transformer, "blocks", **kwargs)
    request = shaped(ctx.request, ctx.sizes.stage1, len(_passes(ctx.request)))
    first = time_steps(ctx, request, 1)
    compile_s = time.perf_counter() - start
    steady = stage_figures(ctx, ctx.sizes.stage1, len(_passes(ctx.request)))
    return {
        "compile_and_first_steps_s": round(compile_s, 2),
        "first": first,
        "stage1": steady,
        "mode": kwargs.get("backend", "inductor"),
    }


def predicted(ctx: Context) -> dict[str, Any]:
    """Seconds for each endpoint's default request on one H100, from FLOPs at a stated efficiency."""
    from ltxserve.endpoints import ENDPOINTS

    stages = (ctx.results.get("stage1", {}), ctx.results.get("stage2", {}))
    measured = [s["pct_of_bf16_peak"] for s in stages if s.get("pct_of_bf16_peak")]
    efficiency = min(measured) / 100 if measured and not ctx.smoke else flops_model.ASSUMED_EFFICIENCY
    config = ctx.config if ctx.smoke else gpu_model.full_config()[0]
    gemma = gpu_model.gemma_bytes(ctx.text if ctx.smoke else gpu_model.full_config()[2], torch.bfloat16)
    out: dict[str, Any] = {
        "gpu": "H100 SXM (989 TFLOP/s bf16, 3.35 TB/s)",
        "efficiency": efficiency,
        "efficiency_source": "measured (lower of stage 1/2)" if measured and not ctx.smoke else "assumed",
        "endpoints": {},
    }
    for endpoint_id, endpoint in ENDPOINTS.items():
        try:
            request = _stand_in_request(endpoint)
            tflop = flops_model.request_tflop(config, request)
            tokens = 512 if request.enable_prompt_expansion else 0
            out["endpoints"][endpoint_id] = {
                "tflop": {k: _sig(v) for k, v in tflop.items()},
                "seconds": {
                    k: _sig(v)
                    for k, v in flops_model.predict_seconds(
                        tflop, 989.0, efficiency, tokens, gemma, 3.35
                    ).items()
                },
            }
        except Exception as exc:
            out["endpoints"][endpoint_id] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return out


def _stand_in_request(endpoint) -> EngineRequest:
    """The endpoint's default request with stand-in media (silent audio, grey images) where required."""
    import numpy as np

    payload: dict[str, Any] = {"prompt": "x"}
    media = ResolvedMedia(stand_in=True)  # shapes only: no image fitting or H.264 round trip
    for name in endpoint.file_fields:
        if name == "loras":
            payload["loras"] = []
        elif "audio" in name:
            payload[name] = "https://example.invalid/a.wav"
            media.audio[name] = (np.zeros((2, 16000 * 5), np.float32), 16000)
        elif "image" in name:
            payload[name] = "https://example.invalid/i.png"
            media.images[name] = np.full((704, 1280, 3), 128, np.uint8)
    validated = endpoint.input_model.model_validate(payload)
    return endpoint.plan(validated, media).request


SECTIONS = (  # name, function, estimated seconds on an H100 (skipped when the budget has less left)
    ("environment", environment, 1),
    ("build", build, 60),
    ("stage1", stage1, 25),
    ("stage2", stage2, 25),
    ("predicted", predicted, 60),
    ("syncs", syncs, 30),
    ("attention", attention_backends, 90),
    ("memory", memory, 10),
    ("lora", lora, 60),
    ("vae", vae, 60),
    ("long_step", long_step, 40),
    ("compiled", compiled, 150),
)
MODEL_FREE = {"environment", "build", "predicted", "memory"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for gpu_check.json")
    parser.add_argument("--budget-s", type=float, default=480.0, help="stop starting sections after this")
    parser.add_argument("--smoke", action="store_true", help="every section on the CPU, tiny model")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    cuda = torch.cuda.is_available() and not args.smoke
    ctx = Context(
        device=torch.device("cuda" if cuda else "cpu"),
        dtype=torch.bfloat16 if cuda else torch.float32,
        sizes=SMOKE if args.smoke or not cuda else FULL,
        smoke=args.smoke or not cuda,
    )
    check = Check(args.out, args.budget_s)
    ctx.results = check.results["sections"]
    with torch.inference_mode():
        for name, section, estimate in SECTIONS:
            if name not in MODEL_FREE and ctx.engine is None:
                ctx.results[name] = {"status": "skipped", "reason": "no model was built"}
                check.write()
                continue
            check.run(name, section, ctx, 0 if ctx.smoke else estimate)
    check.results["finished"] = _now()
    check.write()
    failed = [n for n, s in check.results["sections"].items() if s["status"] == "error"]
    print(f"wrote {check.path}; failed sections: {', '.join(failed) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
