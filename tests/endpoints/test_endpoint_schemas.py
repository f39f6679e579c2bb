"""The five input schemas against the published seeds: defaults, ranges, enums, required fields."""

from typing import Any

import pytest
from pydantic import ValidationError

from ltxserve.endpoints import ENDPOINTS, UnknownEndpointError, get_endpoint
from ltxserve.endpoints.common import AudioOutput, VideoOutput, output_options

T2A = "fal-ai/ltx-2.3-quality/text-to-audio"
T2A_LORA = "fal-ai/ltx-2.3-quality/text-to-audio/lora"
Q_A2V = "fal-ai/ltx-2.3-quality/audio-to-video/lora"
A2V = "fal-ai/ltx-2.3-22b/audio-to-video"
T2V = "fal-ai/ltx-2.3-22b/text-to-video/lora"

LORA = {"path": "https://example.com/path/to/lora.safetensors", "scale": 1, "transformer": "both"}
REQUIRED: dict[str, dict[str, Any]] = {
    T2A: {"prompt": "a woman speaks"},
    T2A_LORA: {"prompt": "a woman speaks", "loras": [LORA]},
    Q_A2V: {"prompt": "a singer", "audio_url": "https://example.com/a.mp3", "loras": [LORA]},
    A2V: {"prompt": "a singer", "audio_url": "https://example.com/a.mp3"},
    T2V: {"prompt": "a cowboy", "loras": [LORA]},
}

# Literal tables copied from /work/shared/seeds (each endpoint's own file); the two choices the seeds
# leave open (audio_stg_scale, gradient_estimation_gamma: 0) are documented in docs/endpoints.md.
T2A_DEFAULTS = {
    "num_frames": 121,
    "frames_per_second": 24,
    "num_inference_steps": 15,
    "guidance_scale": 1,
    "negative_prompt": "pc game, console game, video game, cartoon, childish, ugly",
    "seed": None,
    "enable_prompt_expansion": False,
    "enable_safety_checker": True,
    "sync_mode": False,
}
Q_A2V_DEFAULTS = {
    "image_url": None,
    "match_audio_length": True,
    "num_frames": 121,
    "resolution": "auto",
    "frames_per_second": 24,
    "num_inference_steps": 15,
    "guidance_scale": 1,
    "generate_audio": True,
    "image_strength": 0.7,
    "negative_prompt": "color distortion, overexposure, static, blurry details, subtitles, style, artwork, "
    "painting, frame, still, dim overall tone, worst quality, low quality, JPEG compression artifacts, ugly, "
    "mutilated, extra fingers, poorly drawn hands, poorly drawn face, deformed, disfigured, malformed limbs, "
    "fused fingers, motionless frame, cluttered background, three legs, crowded background, walking backwards",
    "seed": None,
    "enable_prompt_expansion": True,
    "enable_safety_checker": True,
    "video_quality": "high",
    "video_write_mode": "balanced",
    "sync_mode": False,
}
DEFAULTS_22B = {
    "num_frames": 121,
    "video_size": "landscape_16_9",
    "use_multiscale": True,
    "fps": 24,
    "num_inference_steps": 15,
    "video_cfg_scale": 3,
    "video_stg_scale": 1,
    "video_rescaling_scale": 0.85,
    "video_modality_scale": 3,
    "audio_cfg_scale": 7,
    "audio_stg_scale": 0,
    "audio_rescaling_scale": 0.7,
    "audio_modality_scale": 3,
    "gradient_estimation_gamma": 0,
    "use_restart_sampling": True,
    "scheduler": "beta",
    "acceleration": "none",
    "camera_lora": "none",
    "camera_lora_scale": 1,
    "negative_prompt": "news broadcast, 3d animation, computer graphics, pc game, console game, video game, "
    "cartoon, childish, watermark, logo, text, on screen text, subtitles, titles, signature, slowmo, static",
    "seed": None,
    "enable_prompt_expansion": True,
    "enable_safety_checker": True,
    "video_output_type": "X264 (.mp4)",
    "video_quality": "high",
    "video_write_mode": "balanced",
    "sync_mode": False,
    "distill_lora_first_pass_scale": 0.2,
    "distill_lora_second_pass_scale": 0.5,
}
A2V_DEFAULTS = {
    **DEFAULTS_22B,
    "image_url": None,
    "end_image_url": None,
    "match_audio_length": True,
    "image_strength": 1,
    "end_image_strength": 1,
    "audio_strength": 1,
    "preprocess_audio": True,
}
T2V_DEFAULTS = {**DEFAULTS_22B, "generate_audio": True}
DEFAULTS = {
    T2A: T2A_DEFAULTS,
    T2A_LORA: T2A_DEFAULTS,
    Q_A2V: Q_A2V_DEFAULTS,
    A2V: A2V_DEFAULTS,
    T2V: T2V_DEFAULTS,
}


def validate(endpoint_id: str, **fields: Any):
    return get_endpoint(endpoint_id).input_model.model_validate({**REQUIRED[endpoint_id], **fields})


def error_locs(endpoint_id: str, **fields: Any) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as caught:
        validate(endpoint_id, **fields)
    return [error["loc"] for error in caught.value.errors()]


def test_catalogue_serves_the_five_seed_endpoints():
    assert {T2A, T2A_LORA, Q_A2V, A2V, T2V} <= set(ENDPOINTS)
    assert ENDPOINTS[T2A].output_model is AudioOutput
    assert ENDPOINTS[T2A].output_field == "audio"
    assert ENDPOINTS[T2V].output_model is VideoOutput
    assert ENDPOINTS[T2V].output_field == "video"


def test_unknown_endpoint_is_a_clear_key_error():
    with pytest.raises(UnknownEndpointError, match="fal-ai/nope"):
        get_endpoint("fal-ai/nope")
    with pytest.raises(KeyError):
        get_endpoint("fal-ai/nope")


@pytest.mark.parametrize("endpoint_id", list(DEFAULTS))
def test_defaults_match_the_seed(endpoint_id):
    validated = validate(endpoint_id)
    for name, expected in DEFAULTS[endpoint_id].items():
        assert getattr(validated, name) == expected, name
    schema_fields = set(get_endpoint(endpoint_id).input_model.model_fields)
    assert set(DEFAULTS[endpoint_id]) | set(REQUIRED[endpoint_id]) <= schema_fields


@pytest.mark.parametrize(
    ("endpoint_id", "missing"),
    [(endpoint_id, name) for endpoint_id in REQUIRED for name in REQUIRED[endpoint_id]],
)
def test_missing_required_field_is_named(endpoint_id, missing):
    fields = {k: v for k, v in REQUIRED[endpoint_id].items() if k != missing}
    with pytest.raises(ValidationError) as caught:
        get_endpoint(endpoint_id).input_model.model_validate(fields)
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [((missing,), "missing")]


@pytest.mark.parametrize(
    ("endpoint_id", "field", "value"),
    [
        (T2A, "num_frames", 8),
        (T2A, "num_frames", 482),
        (T2A, "frames_per_second", 61),
        (T2A, "num_inference_steps", 31),
        (T2A, "guidance_scale", 0.5),
        (Q_A2V, "image_strength", 1.5),
        (Q_A2V, "num_inference_steps", 7),
        (A2V, "num_inference_steps", 51),
        (A2V, "video_cfg_scale", 21),
        (A2V, "audio_stg_scale", -0.1),
        (A2V, "video_rescaling_scale", 1.01),
        (A2V, "audio_modality_scale", 11),
        (A2V, "gradient_estimation_gamma", 11),
        (A2V, "camera_lora_scale", 1.5),
        (A2V, "audio_strength", 2),
        (A2V, "fps", 0),
        (T2V, "distill_lora_first_pass_scale", 1.1),
        (T2V, "distill_lora_second_pass_scale", -1),
    ],
)
def test_out_of_range_is_rejected_not_clamped(endpoint_id, field, value):
    assert (field,) in error_locs(endpoint_id, **{field: value})


@pytest.mark.parametrize(
    ("endpoint_id", "field", "value"),
    [
        (A2V, "scheduler", "distilled"),
        (A2V, "acceleration", "max"),
        (T2V, "camera_lora", "orbit"),
        (T2V, "video_output_type", "mp4"),
        (Q_A2V, "video_quality", "ultra"),
        (Q_A2V, "video_write_mode", "slow"),
    ],
)
def test_unknown_enum_value_is_rejected(endpoint_id, field, value):
    errors = error_locs(endpoint_id, **{field: value})
    assert errors == [(field,)]


def test_unknown_size_preset_and_auto_without_an_image_endpoint_are_rejected():
    assert all(loc[0] == "video_size" for loc in error_locs(A2V, video_size="huge"))
    # text-to-video has no image, so its size enum has no `auto` (as published).
    assert all(loc[0] == "video_size" for loc in error_locs(T2V, video_size="auto"))
    assert all(loc[0] == "resolution" for loc in error_locs(Q_A2V, resolution={"width": 10, "height": 512}))


@pytest.mark.parametrize("endpoint_id", [T2A_LORA, Q_A2V, T2V])
def test_loras_at_most_three_and_empty_list_accepted(endpoint_id):
    assert (("loras",)) in error_locs(endpoint_id, loras=[LORA] * 4)
    assert validate(endpoint_id, loras=[]).loras == []
    assert len(validate(endpoint_id, loras=[LORA] * 3).loras) == 3


def test_lora_fields_are_validated():
    assert ("loras", 0, "scale") in error_locs(T2V, loras=[{"path": "x", "scale": 5}])
    assert ("loras", 0, "transformer") in error_locs(T2V, loras=[{"path": "x", "transformer": "text"}])
    assert ("loras", 0, "path") in error_locs(T2V, loras=[{"scale": 1}])
    lora = validate(T2V, loras=[{"path": "x"}]).loras[0]
    assert (lora.scale, lora.transformer) == (1.0, "both")


@pytest.mark.parametrize(
    ("endpoint_id", "field", "value"),
    [
        (T2A, "num_frames", "many"),
        (T2A, "prompt", 5),
        (A2V, "use_multiscale", "sometimes"),
        (T2V, "seed", 1.5),
    ],
)
def test_wrong_type_is_rejected(endpoint_id, field, value):
    assert (field,) in error_locs(endpoint_id, **{field: value})


def test_unknown_fields_are_ignored_like_fal():
    validated = validate(A2V, not_a_field=1, image_size="square")
    assert not hasattr(validated, "not_a_field")


def test_custom_size_object_and_defaults():
    assert validate(T2V, video_size={"width": 1280, "height": 720}).video_size.width == 1280
    size = validate(T2V, video_size={}).video_size
    assert (size.width, size.height) == (512, 512)


def test_output_options_read_from_the_input():
    options = output_options(validate(A2V, video_output_type="VP9 (.webm)", sync_mode=True))
    assert (options.video_output_type, options.sync_mode, options.video_quality) == (
        "VP9 (.webm)",
        True,
        "high",
    )
    # The quality family has no output type field: mp4.
    assert output_options(validate(Q_A2V)).video_output_type == "X264 (.mp4)"


def test_json_schema_shows_enums_ranges_and_descriptions():
    schema = get_endpoint(A2V).input_model.model_json_schema()
    props = schema["properties"]
    assert schema["required"] == ["prompt", "audio_url"]
    assert props["scheduler"]["enum"] == ["ltx2", "linear_quadratic", "beta"]
    assert props["camera_lora"]["enum"][-1] == "none"
    assert len(props["camera_lora"]["enum"]) == 8
    assert (props["num_frames"]["minimum"], props["num_frames"]["maximum"]) == (9, 481)
    assert (props["video_cfg_scale"]["minimum"], props["video_cfg_scale"]["maximum"]) == (1, 20)
    assert "auto" in props["video_size"]["anyOf"][1]["enum"]
    assert props["audio_strength"]["description"].startswith("Audio conditioning strength.")
    t2v = get_endpoint(T2V).input_model.model_json_schema()
    assert t2v["properties"]["loras"]["maxItems"] == 3
    assert "loras" in t2v["required"]
    lora = t2v["$defs"]["LoRAInput"]["properties"]
    assert lora["transformer"]["enum"] == ["both", "video", "audio"]
    assert lora["scale"]["maximum"] == 4
    quality = get_endpoint(Q_A2V).input_model.model_json_schema()["properties"]
    assert quality["resolution"]["default"] == "auto"
    assert (quality["num_inference_steps"]["minimum"], quality["num_inference_steps"]["maximum"]) == (8, 30)
    for endpoint in ENDPOINTS.values():
        endpoint.output_model.model_json_schema()
