"""Shared by the CPU benchmarks: an `Engine` on `--model DIR`, or on a freshly written tiny model."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from ltxserve.engine.generation.pipeline import Engine


def engine_from_args(description: str) -> Engine:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: a new tiny model)")
    args = parser.parse_args()
    model_dir = args.model
    if model_dir is None:
        from ltxserve.engine.tiny.writer import write_tiny_model

        model_dir = write_tiny_model(Path(tempfile.mkdtemp()) / "tiny", seed=0)
    return Engine.load(model_dir)
