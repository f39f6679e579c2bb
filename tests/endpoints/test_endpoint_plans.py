"""plan(): each endpoint's validated input and resolved media become the expected, finished engine request."""

import numpy as np
import pytest

from ltxserve.arrays.image import fit_image
from ltxserve.endpoints import PlanError, ResolvedMedia, get_endpoint
from ltxserve.engine.request import EngineRequest, Guidance, LoraSpec
from ltxserve.media.audio_prep import conditioning_audio
from ltxserve.media.image_fit import recompress_like_reference

LORA_URL = "https://example.com/loras/style.safetensors"


def speech(seconds: float, rate: int = 16000) -> tuple[np.ndarray, int]:
    return np.zeros((2, int(seconds * rate)), np.float32), rate


def image(width: int, height: int) -> np.ndarray:
    return np.full((height, width, 3), 128, np.uint8)


def plan(endpoint_id: str, fields: dict, media: ResolvedMedia) -> EngineRequest:
    endpoint = get_endpoint(endpoint_id)
    return endpoint.plan(endpoint.input_model.model_validate(fields), media).request


def prepared(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """What the model is given for a conditioning image: fitted, then the reference's H.264 round trip."""
    return recompress_like_reference(fit_image(pixels, width, height))


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
    assert request.loras == (LoraSpec(path="/cache/a.safetensors", scale=0.5, target="audio"),)
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
    np.testing.assert_array_equal(request.image.pixels, prepared(media.images["image_url"], 768, 1152))
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
        camera_lora="/loras/dolly-in.safetensors",
    )
    request = plan("fal-ai/ltx-2.3-22b/audio-to-video", fields, media)
    assert (request.mode, request.width, request.height) == ("audio_to_video", 992, 608)
    assert (request.num_frames, request.fps, request.num_inference_steps) == (49, 25.0, 30)  # 2 s x 25 = 50
    assert request.video_guidance == Guidance(cfg=4.0, stg=1.5, rescale=0.5, modality=2.0)
    assert request.audio_guidance == Guidance(cfg=6.0, stg=1.0, rescale=0.9, modality=4.0)
    assert (request.gradient_estimation_gamma, request.use_restart_sampling) == (2.0, False)
    assert (request.scheduler, request.acceleration) == ("linear_quadratic", "high")
    assert request.loras == (LoraSpec("/loras/dolly-in.safetensors", 0.8, "both", kind="camera"),)
    assert (request.use_multiscale, request.distill_lora_scales) == (False, (0.1, 0.9))
    assert request.image is not None
    assert request.image.strength == 0.9
    np.testing.assert_array_equal(request.image.pixels, prepared(media.images["image_url"], 992, 608))
    assert request.end_image is not None
    assert request.end_image.strength == 0.4
    np.testing.assert_array_equal(request.end_image.pixels, prepared(media.images["end_image_url"], 992, 608))
    assert request.audio is not None
    assert request.audio.strength == 0.5
    assert request.audio.waveform is media.audio["audio_url"][0]  # preprocess_audio off: as decoded
    assert request.audio.original is None
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
        LoraSpec(path="/cache/0.safetensors", scale=1.5, target="video"),
        LoraSpec(path="/cache/1.safetensors", scale=1.0, target="both"),
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


def tone(seconds: float, rate: int = 16000) -> tuple[np.ndarray, int]:
    """A quiet tone with a DC offset: what `preprocess_audio` changes (DC removed, loudness raised)."""
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.05 * np.sin(2 * np.pi * 440 * t) + 0.02
    return np.stack([wave, wave]).astype(np.float32), rate


def test_preprocess_audio_prepares_the_conditioning_copy_and_keeps_the_users_track():
    media = ResolvedMedia(audio={"audio_url": tone(2.0)})
    request = plan("fal-ai/ltx-2.3-22b/audio-to-video", {"prompt": "p", "audio_url": "a"}, media)
    users, rate = media.audio["audio_url"]
    assert request.audio is not None
    np.testing.assert_array_equal(request.audio.waveform, conditioning_audio(users, rate))
    assert abs(float(request.audio.waveform.mean())) < 1e-4  # the offset is gone from the conditioning
    assert request.audio.original is users
    assert request.audio.track is users  # what a frozen input hands back as the output audio


def test_the_camera_lora_follows_the_users_loras_as_a_typed_adapter():
    fields = {"prompt": "p", "loras": [{"path": LORA_URL}], "camera_lora": "jib_up", "camera_lora_scale": 0.3}
    media = ResolvedMedia(loras={0: "/cache/0.safetensors"}, camera_lora="/loras/jib-up.safetensors")
    request = plan("fal-ai/ltx-2.3-22b/distilled/text-to-video/lora", fields, media)
    assert request.loras == (
        LoraSpec("/cache/0.safetensors", 1.0, "both", kind="user"),
        LoraSpec("/loras/jib-up.safetensors", 0.3, "both", kind="camera"),
    )
    none = plan("fal-ai/ltx-2.3-22b/text-to-video", {"prompt": "p", "camera_lora": "none"}, media)
    assert none.loras == ()


def test_a_chosen_camera_lora_without_its_file_is_a_plan_error():
    endpoint = get_endpoint("fal-ai/ltx-2.3-22b/text-to-video")
    validated = endpoint.input_model.model_validate({"prompt": "p", "camera_lora": "dolly_out"})
    with pytest.raises(PlanError) as caught:
        endpoint.plan(validated, ResolvedMedia())
    assert caught.value.detail()["loc"] == ["body", "camera_lora"]


def test_stand_in_media_plans_the_same_shapes_without_the_pixel_work():
    fields = {"prompt": "p", "audio_url": "a", "image_url": "i", "video_size": "auto"}
    real = ResolvedMedia(images={"image_url": image(900, 600)}, audio={"audio_url": tone(2.0)})
    stand_in = ResolvedMedia(images=real.images, audio=real.audio, stand_in=True)
    prepared_request = plan("fal-ai/ltx-2.3-22b/audio-to-video", fields, real)
    shaped = plan("fal-ai/ltx-2.3-22b/audio-to-video", fields, stand_in)
    assert shaped.image is not None
    assert prepared_request.image is not None
    assert shaped.image.pixels.shape == prepared_request.image.pixels.shape == (576, 896, 3)
    assert shaped.audio is not None
    assert shaped.audio.waveform is real.audio["audio_url"][0]  # not prepared
    assert (shaped.width, shaped.height, shaped.num_frames) == (896, 576, 49)
