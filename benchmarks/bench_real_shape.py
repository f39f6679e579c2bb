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

# LTX-2.3 22B: 48 blocks, video 32×128 = 4096 wide, audio 32×64 = 2048 wide, Gemma-3-12B context.
CONFIG = dict(
    in_channels=128,
    out_channels=128,
    num_attention_heads=32,
    attention_head_dim=128,
    cross_attention_dim=4096,
    audio_in_channels=128,
    audio_out_channels=128,
    audio_num_attention_heads=32,
    audio_attention_head_dim=64,
    audio_cross_attention_dim=2048,
    num_layers=48,
    gated_attn=True,
    cross_attn_mod=True,
    audio_gated_attn=True,
    audio_cross_attn_mod=True,
    rope_type="split",
    rope_double_precision=True,
    perturbed_attn=True,
    use_prompt_embeddings=False,
    cross_attn_timestep_scale_multiplier=1,
)
WIDTH, HEIGHT, FRAMES, FPS = 1280, 704, 121, 24.0
TEXT_TOKENS = 1024
DENSE_BF16_PEAK = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L40S": 362.0}


def build(device: str) -> torch.nn.Module:
    from diffusers import LTX2VideoTransformer3DModel

    with torch.device(device):
        model = LTX2VideoTransformer3DModel(**CONFIG).to(torch.bfloat16)
    return model.eval()


def inputs(model, batch: int, device: str) -> dict:
    frames, h, w = (FRAMES - 1) // 8 + 1, HEIGHT // 32, WIDTH // 32
    video_tokens, audio_tokens = frames * h * w, round(FRAMES / FPS * 25)
    bf16 = dict(device=device, dtype=torch.bfloat16)
    video_coords = model.rope.prepare_video_coords(batch, frames, h, w, device, fps=FPS)
    audio_coords = model.audio_rope.prepare_audio_coords(batch, audio_tokens, device)
    return dict(
        hidden_states=torch.randn(batch, video_tokens, 128, **bf16),
        audio_hidden_states=torch.randn(batch, audio_tokens, 128, **bf16),
        encoder_hidden_states=torch.randn(batch, TEXT_TOKENS, 4096, **bf16),
        audio_encoder_hidden_states=torch.randn(batch, TEXT_TOKENS, 2048, **bf16),
        timestep=torch.full((batch, video_tokens), 500.0, device=device),
        audio_timestep=torch.full((batch, audio_tokens), 500.0, device=device),
        sigma=torch.full((batch,), 500.0, device=device),
        audio_sigma=torch.full((batch,), 500.0, device=device),
        encoder_attention_mask=torch.ones(batch, TEXT_TOKENS, device=device),
        audio_encoder_attention_mask=torch.ones(batch, TEXT_TOKENS, device=device),
        video_coords=video_coords,
        audio_coords=audio_coords,
        fps=FPS,
        use_cross_timestep=True,
        return_dict=False,
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
