"""The full-width check (issue 9 item 8), CI-sized: the published 22B configuration — 4096/2048 streams, 32
heads, the real video VAE, audio VAE, vocoder and ×2 upsampler, full-width connectors — with 2 transformer
blocks and 1 connector layer, written in the official layout, loaded by the normal loader in bf16 and run
for one denoising step (4 batched guidance passes) at a small token count under every memory profile.
Prints wall time and the CPU peak per profile and the measured vs modelled transformer activation at full
width; exits non-zero when anything breaks.

    .venv/bin/python benchmarks/bench_full_width.py [--dir DIR]   # ≈ 5 GB on disk, ≈ 6 GB of RAM
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from ltxserve.engine.generation.pipeline import Engine
from ltxserve.engine.loading.preset import LTX23_UPSAMPLER_CONFIG
from ltxserve.engine.memory.peaks import GIB, transformer_activation
from ltxserve.engine.memory.probe import peak_bytes
from ltxserve.engine.memory.profiles import PROFILES
from ltxserve.engine.memory.sizes import model_dir_sizes
from ltxserve.engine.tiny.config import full_width_config
from ltxserve.engine.tiny.writer import write_tiny_model
from ltxserve.testing.requests import guided_request
from ltxserve.testing.transformer import transformer_inputs

# 64×64, 9 frames: 2×2×2 video tokens, 9 audio tokens.
REQUEST = guided_request(num_inference_steps=1, seed=1)


def write(folder: Path) -> Path:
    if (folder / "ltx-2.3-tiny.safetensors").is_file():
        return folder
    start = time.perf_counter()
    config = full_width_config(blocks=2, connector_layers=1)
    write_tiny_model(folder, config=config, upsampler_config=LTX23_UPSAMPLER_CONFIG, fast=True)
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e9
    print(f"wrote {folder} ({size:.1f} GB) in {time.perf_counter() - start:.0f} s")
    return folder


def run_profiles(folder: Path) -> bool:
    sizes = model_dir_sizes(folder)
    assert (sizes.video_width, sizes.audio_width, sizes.num_blocks) == (4096, 2048, 2)
    frames = {}
    for profile in PROFILES:
        start = time.perf_counter()
        engine = Engine.load(folder, dtype=torch.bfloat16, profile=profile)
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        with torch.inference_mode():
            result, peak = peak_bytes(lambda engine=engine: engine.generate(REQUEST))
        ran = time.perf_counter() - start
        ok = result.frames.shape == (9, 64, 64, 3) and bool(np.isfinite(result.waveform).all())
        frames[profile] = result.frames
        print(f"{profile:9s} load {loaded:5.1f} s  generate {ran:5.1f} s  peak {peak / GIB:.2f} GiB  ok={ok}")
        if not ok:
            return False
        del engine
        gc.collect()
    same = np.array_equal(frames["balanced"], frames["resident"])
    print(f"balanced output identical to resident: {same}")
    return same


def transformer_check(folder: Path) -> bool:
    engine = Engine.load(folder, dtype=torch.bfloat16)
    transformer = engine.parts.transformer
    passes, latent_frames, side, audio, context = 2, 3, 8, 16, 32
    tokens = latent_frames * side * side
    args = transformer_inputs(
        transformer, passes, (latent_frames, side, side), audio, context, dtype=torch.bfloat16
    )
    with torch.inference_mode():
        _, measured = peak_bytes(lambda: transformer(**args))
    predicted = transformer_activation(model_dir_sizes(folder), passes, tokens, audio, 2, context)
    print(
        f"full-width transformer activation: measured {measured / 2**20:.1f} MiB, modelled {predicted / 2**20:.1f} MiB"
    )
    return 0.7 * measured <= predicted <= 1.3 * measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=None, help="where to write (or reuse) the model")
    args = parser.parse_args()
    folder = write(args.dir or Path(tempfile.mkdtemp()) / "full-width")
    ok = run_profiles(folder) and transformer_check(folder)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
