"""x264 with and without macroblock-tree rate control: distinct files per repeated encode, size, PSNR, time.

Run: .venv/bin/python benchmarks/bench_x264_determinism.py [--frames 49] [--runs 6]
Prints figures; asserts nothing. Frames: bench_encode's content cropped to 1216×704 (not a multiple of
128 px wide, where x264's AVX-512 mbtree code varied between runs) and a 192×64 clip. docs/media.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import tempfile
import time
from pathlib import Path

import av
import numpy as np

import ltxserve.media.video_out as video_out
from bench_encode import frame_pool
from ltxserve.media import encode_video

SHIPPED = video_out.video_settings


def with_mbtree(on: bool):
    def settings(output_type, quality, write_mode):
        chosen = SHIPPED(output_type, quality, write_mode)
        options = dict(chosen.codec_options)
        if on:
            options.pop("x264-params", None)
        return dataclasses.replace(chosen, codec_options=options)

    return settings


def psnr(decoded: np.ndarray, source: np.ndarray) -> float:
    mse = np.mean((decoded.astype(np.float64) - source.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / mse))


def measure(frames: np.ndarray, runs: int, folder: Path) -> tuple[int, int, float, float]:
    digests, seconds, path = set(), [], folder / "x.mp4"
    for _ in range(runs):
        start = time.perf_counter()
        encode_video(path, frames, fps=24)
        seconds.append(time.perf_counter() - start)
        digests.add(hashlib.sha256(path.read_bytes()).hexdigest())
    with av.open(str(path)) as container:
        decoded = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    return len(digests), path.stat().st_size, psnr(decoded, frames), min(seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=49)
    parser.add_argument("--runs", type=int, default=6)
    args = parser.parse_args()
    pool = frame_pool()
    big = np.stack([pool[i % len(pool)][:, :1216] for i in range(args.frames)])
    small = np.ascontiguousarray(big[:, :64, :192])
    with tempfile.TemporaryDirectory() as folder:
        for name, frames in (("1216x704", big), ("192x64", small)):
            for on in (True, False):
                video_out.video_settings = with_mbtree(on)
                distinct, size, quality, seconds = measure(frames, args.runs, Path(folder))
                print(
                    f"{name} {args.frames} frames mbtree={'on ' if on else 'off'}: {distinct} distinct of "
                    f"{args.runs}, {size} bytes, PSNR {quality:.2f} dB, best {seconds:.2f} s"
                )
    video_out.video_settings = SHIPPED


if __name__ == "__main__":
    main()
