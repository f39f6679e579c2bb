"""A job's inputs are all resolved before planning, and the engine gets the plan's request untouched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from ltxserve.endpoints import get_endpoint
from ltxserve.engine.request import EngineRequest, GenerationResult
from ltxserve.media.limits import MediaLimits
from ltxserve.worker.engine_runner import EngineRunner
from ltxserve.worker.inputs import resolve_media
from ltxserve.worker.local import LocalContext
from ltxserve.worker.lora_sources import LoraSources
from ltxserve.worker.runner import JobError

I2V_LORA = "fal-ai/ltx-2.3-22b/image-to-video/lora"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """An image (160x90, not the output's aspect) and two LoRA files (content never read here)."""
    image = tmp_path / "face.png"
    pixels = np.random.default_rng(0).integers(0, 255, (90, 160, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(image)
    for name in ("style", "dolly"):
        (tmp_path / f"{name}.safetensors").write_bytes(b"weights")
    return {"image": image, "style": tmp_path / "style.safetensors", "dolly": tmp_path / "dolly.safetensors"}


def payload(files: dict[str, Path], **fields: Any) -> dict[str, Any]:
    return {
        "prompt": "a face",
        "image_url": files["image"].as_uri(),
        "loras": [{"path": files["style"].as_uri(), "scale": 0.5}],
        "video_size": {"width": 128, "height": 64},
        "enable_safety_checker": False,
        **fields,
    }


def resolve(files: dict[str, Path], tmp_path: Path, **fields: Any) -> Any:
    endpoint = get_endpoint(I2V_LORA)
    validated = endpoint.input_model.model_validate(payload(files, **fields))
    sources = LoraSources(camera={"dolly_in": str(files["dolly"])})
    return resolve_media(
        endpoint, validated, LocalContext(tmp_path / "out"), tmp_path, MediaLimits(), sources
    )


def test_every_input_is_a_decoded_array_or_a_local_file_before_planning(files, tmp_path):
    media = resolve(files, tmp_path, camera_lora="dolly_in")
    assert media.images["image_url"].shape == (90, 160, 3)  # as decoded: the plan fits it
    assert Path(media.loras[0]).read_bytes() == b"weights"
    assert media.camera_lora is not None
    assert Path(media.camera_lora).read_bytes() == b"weights"
    assert resolve(files, tmp_path, camera_lora="none").camera_lora is None


def test_a_camera_lora_with_no_installed_file_fails_before_planning(files, tmp_path):
    with pytest.raises(JobError) as info:
        resolve(files, tmp_path, camera_lora="jib_down")
    detail = info.value.failure.body["detail"][0]
    assert (detail["type"], detail["loc"]) == ("feature_not_supported", ["body", "camera_lora"])


class StubEngine:
    """Records the request it is given and returns black frames of its size."""

    def __init__(self) -> None:
        self.requests: list[EngineRequest] = []

    def generate(self, request: EngineRequest, **_: Any) -> GenerationResult:
        self.requests.append(request)
        frames = np.zeros((request.num_frames, request.height, request.width, 3), np.uint8)
        return GenerationResult(
            frames, None, 48000, request.fps, 1, request.prompt, request.width, request.height, len(frames)
        )


def test_the_engine_gets_the_plans_request_untouched(files, tmp_path):
    engine = StubEngine()
    runner = EngineRunner(Path("unused"), loras=LoraSources(camera={"dolly_in": str(files["dolly"])}))
    runner.engine = engine
    fields = {"camera_lora": "dolly_in", "num_frames": 9, "generate_audio": False}
    runner.run(I2V_LORA, payload(files, **fields), LocalContext(tmp_path / "out.mp4"))
    endpoint = get_endpoint(I2V_LORA)
    validated = endpoint.input_model.model_validate(payload(files, **fields))
    again = tmp_path / "again"
    again.mkdir()
    planned = endpoint.plan(validated, resolve(files, again, **fields)).request
    (got,) = engine.requests
    assert got.image is not None
    assert planned.image is not None
    assert got.image.pixels.shape == (64, 128, 3)  # fitted by the plan, not afterwards
    np.testing.assert_array_equal(got.image.pixels, planned.image.pixels)
    assert [(lora.kind, lora.scale) for lora in got.loras] == [("user", 0.5), ("camera", 1.0)]
    assert [(lora.kind, lora.scale) for lora in planned.loras] == [("user", 0.5), ("camera", 1.0)]
