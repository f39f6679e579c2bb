"""Seconds per denoising step of the full-size LTX-2.3 transformer at 1280×704×121 (GPU only).

Builds the 22B transformer from the LTX-2.3 architecture with random bf16 weights (no download needed)
and times 1, 2 and 4 batched guidance passes, reporting achieved TFLOP/s against the GPU's peak.

    python benchmarks/bench_real_shape.py [--peak-tflops 989] [--steps 5]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from ltxserve.engine.loading.module_configs import transformer_kwargs
from ltxserve.engine.loading.preset import LTX23_22B_CONFIG
from ltxserve.testing.transformer import transformer_inputs

# LTX-2.3 22B: 48 blocks, video 32×128 = 4096 wide, audio 32×64 = 2048 wide, Gemma-3-12B context; the
# published file's metadata (engine/loading/preset.py) mapped as the loader maps it.
CONFIG = transformer_kwargs(LTX23_22B_CONFIG)
WIDTH, HEIGHT, FRAMES, FPS = 1280, 704, 121, 24.0
TEXT_TOKENS = 1024
DENSE_BF16_PEAK = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L40S": 362.0}


def build(device: str) -> torch.nn.Module:
    from diffusers import LTX2VideoTransformer3DModel

    with torch.device(device):
        model = LTX2VideoTransformer3DModel(**CONFIG).to(torch.bfloat16)
    return model.eval()


def inputs(model, batch: int, device: str) -> dict:
    grid = ((FRAMES - 1) // 8 + 1, HEIGHT // 32, WIDTH // 32)  # latent (frames, height, width)
    audio_tokens = round(FRAMES / FPS * 25)
    return transformer_inputs(
        model, batch, grid, audio_tokens, TEXT_TOKENS, dtype=torch.bfloat16, device=device, fps=FPS
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--peak-tflops", type=float, default=None, help="dense bf16 peak of this GPU")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("needs a CUDA GPU: this benchmark builds the full 22B transformer")
    name = torch.cuda.get_device_name()
    peak = args.peak_tflops or next((v for k, v in DENSE_BF16_PEAK.items() if k in name), None)
    model = build("cuda")
    params = sum(p.numel() for p in model.parameters())
    print(f"{name}: transformer with {params / 1e9:.1f} B parameters, {WIDTH}×{HEIGHT}×{FRAMES}")
    with torch.inference_mode():
        for batch in (1, 2, 4):
            kwargs = inputs(model, batch, "cuda")
            with FlopCounterMode(display=False) as counter:
                model(**kwargs)
            flops = counter.get_total_flops()
            model(**kwargs)  # warm-up
            torch.cuda.synchronize()
            start = time.perf_counter()
            for _ in range(args.steps):
                model(**kwargs)
            torch.cuda.synchronize()
            seconds = (time.perf_counter() - start) / args.steps
            tflops = flops / seconds / 1e12
            share = f" = {tflops / peak:.0%} of {peak:.0f} peak" if peak else ""
            print(f"{batch} pass(es): {seconds:.3f} s/step, {tflops:.0f} TFLOP/s{share}")
            del kwargs
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
