"""plan(): each endpoint's validated input and fetched media become the expected engine request."""

import numpy as np
import pytest

from ltxserve.endpoints import PlanError, ResolvedMedia, get_endpoint
from ltxserve.engine.request import EngineRequest, Guidance, LoraSpec

LORA_URL = "https://example.com/loras/style.safetensors"


def speech(seconds: float, rate: int = 16000) -> tuple[np.ndarray, int]:
    return np.zeros((2, int(seconds * rate)), np.float32), rate


def image(width: int, height: int) -> np.ndarray:
    return np.full((height, width, 3), 128, np.uint8)


def plan(endpoint_id: str, fields: dict, media: ResolvedMedia) -> EngineRequest:
    endpoint = get_endpoint(endpoint_id)
    return endpoint.plan(endpoint.input_model.model_validate(fields), media)


def test_quality_text_to_audio_defaults():
    request = plan(
        "fal-ai/ltx-2.3-quality/text-to-audio", {"prompt": "rain on a tin roof", "seed": 7}, ResolvedMedia()
    )
    assert request == EngineRequest(
        mode="text_to_audio",
        prompt="rain on a tin roof",
        negative_prompt="pc game, console game, video game, cartoon, childish, ugly",
        num_frames=121,
        fps=24.0,
        num_inference_steps=15,
        scheduler="ltx2",
        audio_guidance=Guidance(cfg=1.0),
        seed=7,
        generate_audio=True,
        use_multiscale=False,
        distill_lora_scales=(1.0, 1.0),
        enable_prompt_expansion=False,
    )


def test_quality_text_to_audio_length_is_num_frames_over_fps_unrounded():
    fields = {"prompt": "p", "num_frames": 100, "frames_per_second": 25, "loras": []}
    request = plan("fal-ai/ltx-2.3-quality/text-to-audio/lora", fields, ResolvedMedia())
    assert request.num_frames / request.fps == pytest.approx(4.0)


def test_quality_text_to_audio_lora_uses_local_paths_and_guidance_scale():
    fields = {
        "prompt": "p",
        "guidance_scale": 4,
        "loras": [{"path": LORA_URL, "scale": 0.5, "transformer": "audio"}],
    }
    request = plan(
        "fal-ai/ltx-2.3-quality/text-to-audio/lora", fields, ResolvedMedia(loras={0: "/cache/a.safetensors"})
    )
    assert request.loras == (
        LoraSpec(path="/cache/a.safetensors", scale=0.5, target="audio", name="style.safetensors"),
    )
    assert request.audio_guidance == Guidance(cfg=4.0)


def test_quality_audio_to_video_with_image():
    fields = {
        "prompt": "a singer",
        "audio_url": "https://example.com/a.mp3",
        "image_url": "https://example.com/i.png",
        "image_strength": 0.6,
        "guidance_scale": 2,
        "seed": 3,
        "loras": [{"path": LORA_URL}],
    }
    media = ResolvedMedia(
        images={"image_url": image(512, 768)},
        audio={"audio_url": speech(3.0)},
        loras={0: "/cache/l.safetensors"},
    )
    request = plan("fal-ai/ltx-2.3-quality/audio-to-video/lora", fields, media)
    assert request.mode == "audio_to_video"
    # auto: the image's 2:3 aspect ratio at the landscape fallback's pixel count, on the 64 grid.
    assert (request.width, request.height) == (768, 1152)
    assert request.num_frames == 73  # 3 s x 24 fps = 72 -> 8k+1
    assert request.image is not None
    assert request.image.pixels is media.images["image_url"]
    assert request.image.strength == 0.6
    assert request.audio is not None
    assert request.audio.strength == 1.0
    assert request.audio.sample_rate == 16000
    assert request.video_guidance == request.audio_guidance == Guidance(cfg=2.0)
    assert (request.use_multiscale, request.distill_lora_scales, request.scheduler) == (
        True,
        (1.0, 1.0),
        "ltx2",
    )
    assert request.loras[0].path == "/cache/l.safetensors"
    assert request.enable_prompt_expansion is True
    assert request.generate_audio is True


def test_quality_audio_to_video_without_image_and_fixed_length():
    fields = {"prompt": "p", "audio_url": "a", "loras": [], "match_audio_length": False, "num_frames": 100}
    request = plan(
        "fal-ai/ltx-2.3-quality/audio-to-video/lora", fields, ResolvedMedia(audio={"audio_url": speech(9)})
    )
    assert (request.width, request.height, request.num_frames) == (1280, 704, 97)
    assert request.image is None


def test_22b_audio_to_video_maps_every_control():
    fields = {
        "prompt": "a woman speaks",
        "audio_url": "a",
        "image_url": "i",
        "end_image_url": "e",
        "video_size": {"width": 1000, "height": 600},
        "use_multiscale": False,
        "fps": 25,
        "num_inference_steps": 30,
        "video_cfg_scale": 4,
        "video_stg_scale": 1.5,
        "video_rescaling_scale": 0.5,
        "video_modality_scale": 2,
        "audio_cfg_scale": 6,
        "audio_stg_scale": 1,
        "audio_rescaling_scale": 0.9,
        "audio_modality_scale": 4,
        "gradient_estimation_gamma": 2,
        "use_restart_sampling": False,
        "scheduler": "linear_quadratic",
        "acceleration": "high",
        "camera_lora": "dolly_in",
        "camera_lora_scale": 0.8,
        "distill_lora_first_pass_scale": 0.1,
        "distill_lora_second_pass_scale": 0.9,
        "image_strength": 0.9,
        "end_image_strength": 0.4,
        "audio_strength": 0.5,
        "preprocess_audio": False,
        "enable_prompt_expansion": False,
        "seed": 11,
    }
    media = ResolvedMedia(
        images={"image_url": image(640, 480), "end_image_url": image(300, 300)},
        audio={"audio_url": speech(2.0)},
    )
    request = plan("fal-ai/ltx-2.3-22b/audio-to-video", fields, media)
    assert (request.mode, request.width, request.height) == ("audio_to_video", 992, 608)
    assert (request.num_frames, request.fps, request.num_inference_steps) == (49, 25.0, 30)  # 2 s x 25 = 50
    assert request.video_guidance == Guidance(cfg=4.0, stg=1.5, rescale=0.5, modality=2.0)
    assert request.audio_guidance == Guidance(cfg=6.0, stg=1.0, rescale=0.9, modality=4.0)
    assert (request.gradient_estimation_gamma, request.use_restart_sampling) == (2.0, False)
    assert (request.scheduler, request.acceleration) == ("linear_quadratic", "high")
    assert (request.camera_lora, request.camera_lora_scale) == ("dolly_in", 0.8)
    assert (request.use_multiscale, request.distill_lora_scales) == (False, (0.1, 0.9))
    assert request.image is not None
    assert request.image.strength == 0.9
    assert request.image.pixels is media.images["image_url"]
    assert request.end_image is not None
    assert request.end_image.strength == 0.4
    assert request.end_image.pixels is media.images["end_image_url"]
    assert request.audio is not None
    assert request.audio.strength == 0.5
    assert request.preprocess_audio is False
    assert request.enable_prompt_expansion is False
    assert (request.seed, request.generate_audio) == (11, True)


def test_22b_audio_to_video_defaults_and_auto_size_from_image():
    fields = {"prompt": "p", "audio_url": "a", "image_url": "i", "video_size": "auto"}
    media = ResolvedMedia(images={"image_url": image(768, 512)}, audio={"audio_url": speech(10.0)})
    request = plan("fal-ai/ltx-2.3-22b/audio-to-video", fields, media)
    assert (request.width, request.height) == (768, 512)  # the image's own size, on the 64 grid
    assert request.num_frames == 241
    assert request.video_guidance == Guidance(cfg=3.0, stg=1.0, rescale=0.85, modality=3.0)
    assert request.audio_guidance == Guidance(cfg=7.0, stg=0.0, rescale=0.7, modality=3.0)
    assert (request.scheduler, request.use_restart_sampling, request.gradient_estimation_gamma) == (
        "beta",
        True,
        0.0,
    )
    assert (request.use_multiscale, request.distill_lora_scales) == (True, (0.2, 0.5))
    assert request.end_image is None
    assert request.negative_prompt.startswith("news broadcast")


def test_match_audio_length_caps_long_audio_at_the_range():
    fields = {"prompt": "p", "audio_url": "a"}
    request = plan(
        "fal-ai/ltx-2.3-22b/audio-to-video", fields, ResolvedMedia(audio={"audio_url": speech(30.0)})
    )
    assert request.num_frames == 481


def test_22b_text_to_video_lora():
    fields = {
        "prompt": "a cowboy",
        "num_frames": 50,
        "video_size": "portrait_16_9",
        "generate_audio": False,
        "loras": [{"path": LORA_URL, "scale": 1.5, "transformer": "video"}, {"path": "data:;base64,AAAA"}],
    }
    media = ResolvedMedia(loras={0: "/cache/0.safetensors", 1: "/cache/1.safetensors"})
    request = plan("fal-ai/ltx-2.3-22b/text-to-video/lora", fields, media)
    assert (request.mode, request.width, request.height, request.num_frames) == (
        "text_to_video",
        704,
        1280,
        49,
    )
    assert request.generate_audio is False
    assert request.audio is None
    assert request.image is None
    assert request.loras == (
        LoraSpec(path="/cache/0.safetensors", scale=1.5, target="video", name="style.safetensors"),
        LoraSpec(path="/cache/1.safetensors", scale=1.0, target="both", name="lora1"),
    )


def test_missing_media_is_a_plan_error_naming_the_field():
    endpoint = get_endpoint("fal-ai/ltx-2.3-22b/audio-to-video")
    validated = endpoint.input_model.model_validate({"prompt": "p", "audio_url": "a", "image_url": "i"})
    with pytest.raises(PlanError) as caught:
        endpoint.plan(validated, ResolvedMedia(images={"image_url": image(64, 64)}))
    assert caught.value.detail()["loc"] == ["body", "audio_url"]
    with pytest.raises(PlanError) as caught:
        endpoint.plan(validated, ResolvedMedia(audio={"audio_url": speech(1.0)}))
    assert caught.value.loc == ("image_url",)
    lora_endpoint = get_endpoint("fal-ai/ltx-2.3-22b/text-to-video/lora")
    with pytest.raises(PlanError) as caught:
        lora_endpoint.plan(
            lora_endpoint.input_model.model_validate({"prompt": "p", "loras": [{"path": "x"}]}),
            ResolvedMedia(),
        )
    assert caught.value.loc == ("loras", 0, "path")


def test_plan_rejects_another_endpoints_input():
    other = get_endpoint("fal-ai/ltx-2.3-quality/text-to-audio").input_model.model_validate({"prompt": "p"})
    with pytest.raises(TypeError):
        get_endpoint("fal-ai/ltx-2.3-22b/audio-to-video").plan(other, ResolvedMedia())
