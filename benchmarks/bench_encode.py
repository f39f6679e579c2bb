"""Encode throughput per output type at 1280×704 vs Debian's ffmpeg CLI, and peak memory over 481 frames.

Run: .venv/bin/python benchmarks/bench_encode.py [--frames 49] [--repeats 2] [--memory-frames 481] [--types X264,VP9,...]
Prints figures; asserts nothing (house rule 12). Needs the `ffmpeg` binary only for the comparison column.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ltxserve.media import CONTAINERS, VideoEncoder, video_settings

WIDTH, HEIGHT, FPS = 1280, 704, 24
QUALITY, WRITE_MODE = "high", "balanced"  # the endpoints' defaults
POOL = 24  # distinct frames, cycled: enough motion for inter codecs without holding the whole video


def frame_pool(n: int = POOL, seed: int = 0) -> np.ndarray:
    """(n, H, W, 3) uint8: moving gradients over a panned texture (the media tests' content, scaled up)."""
    rng = np.random.default_rng(seed)
    plate = np.kron(
        rng.integers(0, 256, (HEIGHT // 4 + 40, WIDTH // 4 + 40, 3), dtype=np.uint8),
        np.ones((4, 4, 1), np.uint8),
    )
    plate = (plate // 2 + rng.integers(0, 128, plate.shape, dtype=np.uint8)).astype(np.float32)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    out = np.empty((n, HEIGHT, WIDTH, 3), np.uint8)
    for i in range(n):
        t = i / n
        gradient = np.stack(
            [
                127 + 90 * np.sin(2 * np.pi * (x / WIDTH + t)),
                127 + 90 * np.sin(2 * np.pi * (y / HEIGHT - t)),
                127 + 90 * np.cos(2 * np.pi * ((x + y) / (WIDTH + HEIGHT) + t)),
            ],
            -1,
        )
        dy, dx = i * 2 % 160, i * 3 % 160
        out[i] = np.clip(0.6 * gradient + 0.4 * plate[dy : dy + HEIGHT, dx : dx + WIDTH], 0, 255).astype(
            np.uint8
        )
    return out


def encode_ours(pool: np.ndarray, frames: int, output_type: str, path: Path, chunk: int = 8) -> float:
    """Seconds to encode `frames` frames (cycled from the pool) through VideoEncoder."""
    start = time.perf_counter()
    with VideoEncoder(
        path,
        width=WIDTH,
        height=HEIGHT,
        fps=FPS,
        output_type=output_type,
        quality=QUALITY,
        write_mode=WRITE_MODE,
    ) as encoder:
        for first in range(0, frames, chunk):
            indices = [(first + i) % len(pool) for i in range(min(chunk, frames - first))]
            encoder.write(pool[indices])
        encoder.close()
    return time.perf_counter() - start


def ffmpeg_command(output_type: str, raw: Path, frames: int, path: Path) -> list[str]:
    """The same encode on the command line: same codec, options, pixel format and BT.709 conversion."""
    spec = CONTAINERS[output_type]
    settings = video_settings(output_type, QUALITY, WRITE_MODE)
    command = [
        "ffmpeg",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{WIDTH}x{HEIGHT}",
        "-r",
        str(FPS),
        "-i",
        str(raw),
        "-frames:v",
        str(frames),
    ]
    if spec.video_codec == "gif":
        graph = (
            f"split[a][b];[a]palettegen=max_colors={settings.gif_colors}:reserve_transparent=0[p];"
            f"[b][p]paletteuse=dither={settings.gif_dither}"
        )
        return [*command, "-lavfi", graph, "-c:v", "gif", str(path)]
    command += [
        "-vf",
        "scale=out_color_matrix=bt709:out_range=tv",
        "-c:v",
        spec.video_codec,
        "-pix_fmt",
        spec.pix_fmt,
    ]
    for key, value in settings.codec_options.items():
        command += [f"-{key}", value]
    command += ["-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709"]
    for key, value in spec.container_options.items():
        command += [f"-{key}", value]
    return [*command, str(path)]


def throughput(pool: np.ndarray, frames: int, types: list[str], workdir: Path, repeats: int) -> None:
    raw = workdir / "frames.rgb"
    with raw.open("wb") as sink:
        for index in range(frames):
            sink.write(pool[index % len(pool)].tobytes())
    have_ffmpeg = shutil.which("ffmpeg") is not None
    print(
        f"throughput: {frames} frames at {WIDTH}x{HEIGHT}, quality={QUALITY}, write_mode={WRITE_MODE}, "
        f"{os.cpu_count()} CPUs, best of {repeats} alternating runs"
    )
    print(f"{'output type':<20}{'ours fps':>10}{'ffmpeg fps':>12}{'ratio':>8}{'ours MB':>9}{'ffmpeg MB':>11}")
    for output_type in types:
        ext = CONTAINERS[output_type].extension
        ours_path, cli_path = workdir / f"ours{ext}", workdir / f"cli{ext}"
        ours = cli = 0.0
        # Alternate the two so that load from other processes hits both alike; keep each side's best run.
        for _ in range(repeats):
            ours = max(ours, frames / encode_ours(pool, frames, output_type, ours_path))
            if have_ffmpeg:
                start = time.perf_counter()
                subprocess.run(ffmpeg_command(output_type, raw, frames, cli_path), check=True)
                cli = max(cli, frames / (time.perf_counter() - start))
        ratio = ours / cli if cli else float("nan")
        cli_size = cli_path.stat().st_size / 1e6 if cli else float("nan")
        print(
            f"{output_type:<20}{ours:>10.2f}{cli:>12.2f}{ratio:>7.2f}x{ours_path.stat().st_size / 1e6:>9.1f}"
            f"{cli_size:>11.1f}",
            flush=True,
        )


def _status_mib(key: str) -> float:
    """VmRSS / VmHWM of this process in MiB, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def memory_child(output_type: str, frames: int, workdir: str) -> None:
    """Runs in a fresh process: resident memory before streaming `frames` frames, and its peak during."""
    pool = frame_pool()
    # Reset the high-water mark so the pool's construction temporaries do not count as encoding memory.
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_mib("VmRSS")
    seconds = encode_ours(
        pool, frames, output_type, Path(workdir) / f"mem{CONTAINERS[output_type].extension}"
    )
    print(json.dumps({"before_mb": before, "peak_mb": _status_mib("VmHWM"), "seconds": seconds}))


def memory(frames: int, types: list[str], workdir: Path) -> None:
    full_copy = frames * WIDTH * HEIGHT * 3 / 2**20
    print(
        f"\npeak memory streaming {frames} frames at {WIDTH}x{HEIGHT} (one full copy would be {full_copy:.0f} MiB;"
        f" the process holds a {POOL}-frame source pool of {POOL * WIDTH * HEIGHT * 3 / 2**20:.0f} MiB)"
    )
    print(f"{'output type':<20}{'RSS before':>12}{'peak RSS':>10}{'encoder +MiB':>14}{'fps':>8}")
    for output_type in types:
        result = subprocess.run(
            [
                sys.executable,
                __file__,
                "--memory-child",
                output_type,
                "--memory-frames",
                str(frames),
                "--workdir",
                str(workdir),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        print(
            f"{output_type:<20}{figures['before_mb']:>12.0f}{figures['peak_mb']:>10.0f}"
            f"{figures['peak_mb'] - figures['before_mb']:>14.0f}"
            f"{frames / figures['seconds']:>8.1f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=49)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--memory-frames", type=int, default=481)
    parser.add_argument("--types", default=",".join(CONTAINERS), help="comma-separated output types")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--memory-child")
    parser.add_argument("--workdir")
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.memory_frames, args.workdir)
        return
    types = [t for t in CONTAINERS if any(t.startswith(prefix) for prefix in args.types.split(","))]
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        if not args.skip_throughput:
            throughput(frame_pool(), args.frames, types, workdir, args.repeats)
        if not args.skip_memory:
            memory(args.memory_frames, types, workdir)


if __name__ == "__main__":
    main()
