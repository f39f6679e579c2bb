"""Golden outputs: one fixed tiny-model run per served endpoint, compared with committed arrays.

Each case goes the way a job goes in the worker: the JSON input is validated, its files (a WAV, PNGs,
LoRA files, the camera LoRA) are read and decoded, the endpoint's plan builds the finished engine request
(images fitted and round-tripped, audio prepared, LoRAs listed), the engine generates (CPU, float32,
fixed seed, prompt expansion off) and the result is encoded into the output file. The engine's raw result (frames and waveform, before
encoding) is captured and compared with `tests/data/golden/<case>.npz`; the output file's metadata with
`tests/data/golden/<case>.json`.

Which checks are exact and which use a tolerance, and why (docs/testing.md says the same):

- Exact: every shape, dtype, sample rate, fps, frame count, size, seed and the returned prompt; the
  input audio that audio-to-video keeps frozen (a copy, no arithmetic); the output file's metadata
  (content type, size, fps, frames, duration, channels) and its stream codecs.
- Tolerance: generated frames and waveforms. They come out of float32 CPU kernels whose summation
  order depends on the instruction set (AVX-512, AVX2, SSE), the thread count and the torch build, so
  bit-identity across machines is not promised. Measured here by forcing the other kernels: at most
  0.011% of the frame values moved, each by 1 level, and waveforms by at most 5.3e-6. The tolerances
  (`FRAME_LEVELS`, `FRAME_CHANGED_FRACTION`, `WAVEFORM_ATOL`) sit about 10x above that and far below
  what a real change does: one mid-schedule sigma 0.1% higher changes 4-47% of the frame values and
  waveforms by 2.8e-3 or more (`test_golden_check_fails_on_a_small_sigma_change` asserts it fails).
- The tiny model's files are pinned exactly (`tiny-model.json`): its writer is bit-identical on every
  machine, so a failure there means the model changed, not the engine.

Stored arrays are subsampled to keep the fixtures small (frames every 2nd pixel, waveforms every 4th
sample): a real numeric change moves every value, so the subsample sees it.

Regenerate (after a reviewed, intended change of numbers) with `scripts/regenerate-golden`; the run
writes the files, then fails on purpose so it cannot pass silently, and refuses to run when `CI` is set.
"""

from __future__ import annotations

import hashlib
import json
import os
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from ltxserve.engine.request import GenerationResult
from ltxserve.worker.engine_runner import EngineRunner
from ltxserve.worker.local import LocalContext
from ltxserve.worker.lora_sources import LoraSources

GOLDEN = Path(__file__).parents[2] / "data" / "golden"
INPUTS = GOLDEN / "inputs"
REFERENCE_TINY = Path(__file__).parents[2] / "data" / "reference-tiny"
REGENERATE = os.environ.get("LTXSERVE_REGENERATE_GOLDEN") == "1"

# Tolerances for generated media (see the module docstring for how they were chosen).
FRAME_LEVELS = 1  # largest allowed difference of one uint8 frame value
FRAME_CHANGED_FRACTION = 1e-3  # share of frame values allowed to differ at all
WAVEFORM_ATOL = 5e-5  # largest allowed difference of one waveform sample (signals are ~0.4 RMS)

# Subsampling of the stored arrays: frames (F, H, W, 3) and waveforms (channels, samples).
FRAME_STEP = 2
WAVEFORM_STEP = 4

LORA = {"path": (REFERENCE_TINY / "lora-tiny.safetensors").as_uri(), "scale": 0.8}
CAMERA_LORA = str(REFERENCE_TINY / "distilled-lora-tiny.safetensors")


def _file(name: str) -> str:
    return (INPUTS / name).as_uri()


# case name -> (endpoint id, JSON input). Small sizes, the fewest steps each endpoint allows.
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "quality_text_to_audio": (
        "fal-ai/ltx-2.3-quality/text-to-audio",
        {
            "prompt": "birdsong at dawn",
            "num_frames": 9,
            "num_inference_steps": 8,
            "guidance_scale": 3,
            "seed": 1,
        },
    ),
    "quality_text_to_audio_lora": (
        "fal-ai/ltx-2.3-quality/text-to-audio/lora",
        {
            "prompt": "rain on a tin roof",
            "num_frames": 9,
            "num_inference_steps": 8,
            "seed": 2,
            "loras": [LORA],
        },
    ),
    "quality_audio_to_video_lora": (
        "fal-ai/ltx-2.3-quality/audio-to-video/lora",
        {
            "prompt": "a singer on a stage",
            "audio_url": _file("tone.wav"),
            "image_url": _file("first.png"),
            "resolution": {"width": 128, "height": 64},
            "num_inference_steps": 8,
            "seed": 3,
            "loras": [LORA],
            "enable_prompt_expansion": False,
        },
    ),
    "22b_audio_to_video": (
        "fal-ai/ltx-2.3-22b/audio-to-video",
        {
            "prompt": "a singer on a stage",
            "audio_url": _file("tone.wav"),
            "image_url": _file("first.png"),
            "end_image_url": _file("end.png"),
            "video_size": {"width": 96, "height": 64},
            "use_multiscale": False,
            "audio_strength": 0.5,
            "num_inference_steps": 8,
            "seed": 4,
            "enable_prompt_expansion": False,
        },
    ),
    "22b_text_to_video_lora": (
        "fal-ai/ltx-2.3-22b/text-to-video/lora",
        {
            "prompt": "a cowboy in a dusty town",
            "video_size": {"width": 64, "height": 64},
            "num_frames": 9,
            "num_inference_steps": 8,
            "seed": 5,
            "loras": [LORA],
            "camera_lora": "dolly_in",
            "camera_lora_scale": 0.5,
            "enable_prompt_expansion": False,
        },
    ),
}


class RecordingEngine:
    """The loaded engine, keeping every `GenerationResult` it returns (the raw output, before encoding)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.results: list[GenerationResult] = []

    def generate(self, *args: Any, **kwargs: Any) -> GenerationResult:
        result = self.engine.generate(*args, **kwargs)
        self.results.append(result)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


@dataclass(frozen=True)
class Run:
    result: GenerationResult
    output: dict[str, Any]  # the job's output JSON
    path: Path  # the encoded output file


@pytest.fixture(scope="module")
def recording(tiny_model_dir: Path) -> RecordingEngine:
    """A fresh engine (not the shared one other tests reconfigure): nothing but the case decides its output."""
    from ltxserve.engine.generation.pipeline import Engine

    return RecordingEngine(Engine.load(tiny_model_dir))


@pytest.fixture(scope="module")
def run_case(recording: RecordingEngine, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Run]:
    """Run one case through the production runner (no prompt expander, the camera LoRA installed)."""
    runner = EngineRunner(Path("unused"), loras=LoraSources(camera={"dolly_in": CAMERA_LORA}))
    runner.engine = recording
    if REGENERATE:
        write_inputs()

    def run(name: str) -> Run:
        endpoint_id, payload = CASES[name]
        path = tmp_path_factory.mktemp(name) / "output"
        output = runner.run(endpoint_id, payload, LocalContext(path))
        return Run(recording.results[-1], output, path)

    return run


def test_tiny_model_is_the_golden_one(tiny_model_dir: Path) -> None:
    """The goldens hold for one tiny model: its writer must produce the same bits on every machine."""
    digests = model_digests(tiny_model_dir)
    if REGENERATE:
        write_golden("tiny-model", {}, digests)
    assert digests == json.loads((GOLDEN / "tiny-model.json").read_text())


@pytest.mark.parametrize("name", list(CASES))
def test_golden_output(name: str, run_case: Callable[[str], Run]) -> None:
    run = run_case(name)
    arrays, meta = golden_arrays(run.result), golden_meta(run)
    if REGENERATE:
        write_golden(name, arrays, meta)
    expected_meta = json.loads((GOLDEN / f"{name}.json").read_text())
    assert meta == expected_meta
    with np.load(GOLDEN / f"{name}.npz") as stored:
        expected = {key: stored[key] for key in stored.files}
    assert sorted(arrays) == sorted(expected)
    assert mismatches(arrays, expected, frozen_audio=name == "quality_audio_to_video_lora") == []


@pytest.mark.parametrize("name", list(CASES))
def test_golden_check_fails_on_a_small_sigma_change(
    name: str, run_case: Callable[[str], Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tolerances are tight enough: one mid-schedule sigma 0.1% higher fails every case."""
    from ltxserve.engine.generation import schedules

    sigmas_for = schedules.sigmas_for

    def nudged(*args: Any, **kwargs: Any) -> list[float]:
        sigmas = sigmas_for(*args, **kwargs)
        sigmas[len(sigmas) // 2] *= 1.001
        return sigmas

    monkeypatch.setattr(schedules, "sigmas_for", nudged)
    with np.load(GOLDEN / f"{name}.npz") as stored:
        expected = {key: stored[key] for key in stored.files}
    assert mismatches(golden_arrays(run_case(name).result), expected) != []


def model_digests(model_dir: Path) -> dict[str, str]:
    """SHA-256 per file of the tiny model; for safetensors over the tensors (name, dtype, shape, bytes)."""
    from safetensors import safe_open

    digests = {}
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        if path.suffix == ".safetensors":
            with safe_open(str(path), framework="pt") as tensors:
                for key in sorted(tensors.keys()):
                    tensor = tensors.get_tensor(key)
                    digest.update(f"{key}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
                    digest.update(tensor.view(-1).view(torch_uint8()).numpy().tobytes())
        else:
            digest.update(path.read_bytes())
        digests[path.relative_to(model_dir).as_posix()] = digest.hexdigest()
    return digests


def torch_uint8() -> Any:
    import torch

    return torch.uint8


def golden_arrays(result: GenerationResult) -> dict[str, np.ndarray]:
    """The raw result, subsampled: frames (F, H/2, W/2, 3) uint8, waveform (C, S/4) float32."""
    arrays = {}
    if result.frames is not None:
        arrays["frames"] = np.ascontiguousarray(result.frames[:, ::FRAME_STEP, ::FRAME_STEP])
    if result.waveform is not None:
        arrays["waveform"] = np.ascontiguousarray(result.waveform[:, ::WAVEFORM_STEP])
    return arrays


def golden_meta(run: Run) -> dict[str, Any]:
    """What is exact: the result's own numbers, the output JSON (minus names/sizes) and the streams."""
    result = run.result
    file = {
        k: v for k, v in next(iter(run.output.values())).items() if k not in ("url", "file_name", "file_size")
    }
    with av.open(str(run.path)) as container:
        streams = sorted(f"{s.type}:{s.codec_context.name}" for s in container.streams)
    return {
        "result": {
            "width": result.width,
            "height": result.height,
            "num_frames": result.num_frames,
            "fps": result.fps,
            "seed": result.seed,
            "prompt": result.prompt,
            "sample_rate": result.sample_rate,
            "frames": None if result.frames is None else [*result.frames.shape, str(result.frames.dtype)],
            "waveform": None
            if result.waveform is None
            else [*result.waveform.shape, str(result.waveform.dtype)],
        },
        "output": {"seed": run.output["seed"], "prompt": run.output["prompt"], "file": file},
        "streams": streams,
    }


def mismatches(
    actual: dict[str, np.ndarray], expected: dict[str, np.ndarray], frozen_audio: bool = False
) -> list[str]:
    """Every way `actual` differs from `expected` beyond the tolerances, as readable lines."""
    found = []
    for key, want in expected.items():
        got = actual.get(key)
        if got is None or got.shape != want.shape or got.dtype != want.dtype:
            found.append(
                f"{key}: {None if got is None else (got.shape, got.dtype)} != {(want.shape, want.dtype)}"
            )
            continue
        diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
        if key == "frames":
            changed = float(np.mean(diff > 0))
            if diff.max() > FRAME_LEVELS or changed > FRAME_CHANGED_FRACTION:
                found.append(f"frames: max diff {diff.max():.0f} levels, {changed:.4%} of values changed")
        elif frozen_audio and diff.max() > 0:
            found.append(f"waveform: the frozen input audio changed (max diff {diff.max():.3g})")
        elif diff.max() > WAVEFORM_ATOL:
            found.append(f"waveform: max diff {diff.max():.3g} > {WAVEFORM_ATOL}")
    return found


def write_golden(name: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Regeneration: write this case's files, then fail so that a regeneration never passes silently."""
    if os.environ.get("CI"):
        pytest.fail("refusing to regenerate golden outputs in CI (CI is set)")
    npz, meta_file = GOLDEN / f"{name}.npz", GOLDEN / f"{name}.json"
    if arrays and not (npz.exists() and stored_arrays_equal(npz, arrays)):
        np.savez_compressed(npz, **arrays)  # rewritten only when changed: zip timestamps would churn git
    meta_file.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    pytest.fail(f"regenerated {name}: review `git diff --stat tests/data/golden` and commit (not a pass)")


def stored_arrays_equal(path: Path, arrays: dict[str, np.ndarray]) -> bool:
    with np.load(path) as stored:
        same_keys = sorted(stored.files) == sorted(arrays)
        return same_keys and all(np.array_equal(stored[key], arrays[key]) for key in arrays)


def write_inputs() -> None:
    """The cases' input files, from fixed arithmetic: a 0.4 s 22.05 kHz tone (16-bit WAV), two 96x80 PNGs."""
    if os.environ.get("CI"):
        pytest.fail("refusing to regenerate golden inputs in CI (CI is set)")
    INPUTS.mkdir(parents=True, exist_ok=True)
    rate = 22050
    t = np.arange(int(0.4 * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    with wave.open(str(INPUTS / "tone.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.round(tone * 32767).astype("<i2").tobytes())
    # A gradient with a disc, 96x80 (not the output's aspect, so the cover-and-crop fit runs).
    y, x = np.mgrid[0:80, 0:96]
    disc = ((x - 48) ** 2 + (y - 40) ** 2 < 900) * 200
    image = np.stack([x * 255 // 95, y * 255 // 79, disc], axis=-1).astype(np.uint8)
    Image.fromarray(image).save(INPUTS / "first.png")
    Image.fromarray(np.ascontiguousarray(image[::-1, ::-1])).save(INPUTS / "end.png")
