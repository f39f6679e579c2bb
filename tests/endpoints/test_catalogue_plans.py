"""plan() of the newer endpoints: what each composition changes in the engine request."""

from __future__ import annotations

import numpy as np
import pytest

from ltxserve.endpoints import Plan, ResolvedMedia, get_endpoint
from ltxserve.engine.request import EngineRequest, Guidance

B, D, Q = "fal-ai/ltx-2.3-22b", "fal-ai/ltx-2.3-22b/distilled", "fal-ai/ltx-2.3-quality"
LORA = {"path": "https://example.com/style.safetensors", "scale": 0.5}


def planned(endpoint_id: str, media: ResolvedMedia | None = None, **fields) -> Plan:
    endpoint = get_endpoint(endpoint_id)
    return endpoint.plan(
        endpoint.input_model.model_validate({"prompt": "p", **fields}), media or ResolvedMedia()
    )


def plan(endpoint_id: str, media: ResolvedMedia | None = None, **fields) -> EngineRequest:
    return planned(endpoint_id, media, **fields).request


def pixels(width: int, height: int, value: int) -> np.ndarray:
    return np.full((height, width, 3), value, np.uint8)


IMAGES = ResolvedMedia(images={"image_url": pixels(900, 600, 10), "end_image_url": pixels(900, 600, 200)})


def test_22b_text_to_video_uses_the_published_defaults():
    request = plan(f"{B}/text-to-video", seed=1)
    assert (request.mode, request.width, request.height, request.num_frames) == (
        "text_to_video",
        1280,
        704,
        121,
    )
    assert (request.num_inference_steps, request.scheduler, request.acceleration) == (40, "ltx2", "regular")
    assert request.video_guidance == Guidance(cfg=3, stg=0, rescale=0.7, modality=3)
    assert (request.gradient_estimation_gamma, request.use_restart_sampling) == (2, False)
    assert request.image is None
    assert request.loras == ()
    assert not request.distilled


def test_22b_image_to_video_differs_only_by_its_images_and_auto_size():
    text = plan(f"{B}/text-to-video", seed=1)
    image = plan(
        f"{B}/image-to-video", IMAGES, seed=1, image_url="u", end_image_url="e", end_image_strength=0.5
    )
    # auto: the image's own size (shrunk only past the 1280x704 pixel budget), on the two-stage 64 grid.
    assert (image.width, image.height) == (896, 576)
    assert image.image is not None
    assert image.image.pixels[0, 0, 0] == 10
    assert image.image.strength == 1
    assert image.end_image is not None
    assert image.end_image.pixels[0, 0, 0] == 200
    assert image.end_image.strength == 0.5
    same = {k: v for k, v in vars(image).items() if k not in ("width", "height", "image", "end_image")}
    assert same == {k: v for k, v in vars(text).items() if k not in ("width", "height", "image", "end_image")}


def test_backward_interpolation_runs_from_the_end_image_to_the_start_image():
    fields = {"image_url": "u", "end_image_url": "e", "interpolation_direction": "backward"}
    request = plan(f"{B}/image-to-video", IMAGES, **fields)
    assert request.image.pixels[0, 0, 0] == 200  # the end image is the new first frame
    assert request.end_image.pixels[0, 0, 0] == 10
    alone = plan(f"{B}/image-to-video", IMAGES, image_url="u", interpolation_direction="backward")
    assert alone.image is None
    assert alone.end_image.pixels[0, 0, 0] == 10


def test_lora_variants_only_add_loras():
    media = ResolvedMedia(images=IMAGES.images, loras={0: "/cache/style.safetensors"})
    request = plan(f"{B}/image-to-video/lora", media, image_url="u", loras=[LORA])
    assert [(lora.path, lora.scale) for lora in request.loras] == [("/cache/style.safetensors", 0.5)]


@pytest.mark.parametrize("task", ["text-to-video", "image-to-video"])
def test_distilled_runs_eight_steps_without_guidance(task):
    fields = {"image_url": "u"} if task == "image-to-video" else {}
    request = plan(f"{D}/{task}", IMAGES, **fields)
    assert request.distilled
    assert (request.num_inference_steps, request.scheduler) == (8, "distilled")
    assert request.video_guidance == Guidance() == request.audio_guidance
    assert request.use_multiscale
    assert request.distill_lora_scales == (0.0, 0.0)  # the engine sets them for a dev checkpoint
    assert plan(f"{D}/{task}", IMAGES, scheduler="beta", **fields).scheduler == "beta"


def test_distilled_audio_to_video_keeps_the_audio():
    media = ResolvedMedia(audio={"audio_url": (np.zeros((2, 32000), np.float32), 16000)})
    request = plan(f"{D}/audio-to-video", media, audio_url="a", audio_strength=0.5)
    assert request.mode == "audio_to_video"
    assert request.audio.strength == 0.5
    assert request.num_frames == 49
    assert request.distilled
    assert request.generate_audio


def test_quality_video_endpoints_follow_the_quality_workflow():
    text = plan(f"{Q}/text-to-video", guidance_scale=3, generate_audio=False)
    assert (text.width, text.height, text.scheduler, text.num_inference_steps) == (1280, 704, "ltx2", 15)
    assert text.video_guidance == Guidance(cfg=3) == text.audio_guidance
    assert text.use_multiscale
    assert text.distill_lora_scales == (1.0, 1.0)
    assert not text.generate_audio
    image = plan(f"{Q}/image-to-video", IMAGES, image_url="u")
    # auto: the image's aspect (3:2) at the landscape preset's pixel count.
    assert (image.width, image.height) == (1152, 768)
    assert image.image.strength == 0.7
    media = ResolvedMedia(audio={"audio_url": (np.zeros((2, 16000), np.float32), 16000)})
    audio = plan(f"{Q}/audio-to-video", media, audio_url="a")
    assert audio.mode == "audio_to_video"
    assert audio.num_frames == 25
    assert audio.loras == ()


def source_video(frames: int = 40, fps: float = 30.0, audio: bool = True) -> ResolvedMedia:
    from ltxserve.media.video_in import DecodedVideo

    pixels = np.stack([np.full((64, 96, 3), index, np.uint8) for index in range(frames)])
    waveform = np.zeros((2, round(frames / fps * 48000)), np.float32) if audio else None
    decoded = DecodedVideo(pixels, fps, waveform, 48000)
    return ResolvedMedia(videos={"video_url": decoded}, images=IMAGES.images)


def test_extend_forward_conditions_on_the_last_context_frames():
    fields = {"video_url": "v", "num_frames": 33, "num_context_frames": 20, "video_strength": 0.9}
    result = planned(f"{Q}/extend-video", source_video(40, fps=30), **fields)
    # 20 context frames snap down to 17 (8k+1); the source's 30 fps is kept (match_input_fps).
    request, stitch = result.request, result.stitch
    context = request.video_context
    assert request.fps == 30
    assert request.num_frames == 33
    assert (request.width, request.height) == (64, 64)
    assert len(context.frames) == 17
    assert context.frames[0, 0, 0, 0] == 23
    assert not context.at_end
    assert context.strength == 0.9
    assert context.audio.waveform.shape[1] == round(17 / 30 * 48000)
    assert stitch.overlap == 17
    assert not stitch.before
    assert len(stitch.frames) == 40
    assert request.image is None
    assert request.end_image is None


def test_extend_backward_leads_into_the_first_frames_and_the_image_opens_the_video():
    fields = {"video_url": "v", "num_frames": 33, "extend_direction": "backward", "end_image_url": "e"}
    fields |= {"match_input_fps": False, "fps": 24, "use_multiscale": False, "video_size": "auto"}
    result = planned(f"{B}/extend-video", source_video(40, fps=30), **fields)
    request = result.request
    # 40 frames at 30 fps are 32 frames at 24 fps; 25 context frames from its start.
    assert request.fps == 24
    assert len(result.stitch.frames) == 32
    assert result.stitch.before
    assert request.video_context.at_end
    assert len(request.video_context.frames) == 25
    assert request.video_context.frames[-1, 0, 0, 0] == 30  # frame 24 of 32 → source frame 30
    assert request.image.pixels[0, 0, 0] == 200  # the end image is the new first frame
    assert request.image.pixels.shape == (64, 96, 3)  # fitted to the output size (900x600 given)
    assert request.end_image is None
    assert (request.width, request.height) == (96, 64)
    assert request.scheduler == "ltx2"


def test_extend_refuses_a_segment_without_new_frames_or_over_the_budget():
    from ltxserve.endpoints import PlanError

    with pytest.raises(PlanError) as none_new:
        plan(f"{Q}/extend-video", source_video(), video_url="v", num_frames=17, num_context_frames=17)
    assert none_new.value.loc == ("num_frames",)
    big = {"video_url": "v", "num_frames": 481, "resolution": "square_hd"}
    with pytest.raises(PlanError) as over:
        plan(f"{Q}/extend-video", source_video(), **big)
    assert over.value.loc == ("num_frames",)
    assert "at most 225 frames" in over.value.msg
    assert plan(f"{Q}/extend-video", source_video(), **(big | {"num_frames": 225})).num_frames == 225


def test_extend_without_context_or_audio():
    result = planned(
        f"{B}/extend-video", source_video(audio=False), video_url="v", num_context_frames=0, num_frames=9
    )
    assert result.request.video_context is None
    assert result.stitch.overlap == 0
    assert result.stitch.waveform is None


def test_extend_backward_with_one_context_frame_makes_it_a_prepared_end_keyframe():
    fields = {"video_url": "v", "num_frames": 17, "extend_direction": "backward", "num_context_frames": 1}
    result = planned(f"{B}/extend-video", source_video(40, fps=24), **fields, fps=24, video_size="square")
    request = result.request
    assert request.video_context is None
    assert request.end_image is not None
    assert request.end_image.pixels.shape == (512, 512, 3)  # the 96x64 source frame, fitted
    assert request.end_image.pixels[256, 256, 0] <= 2  # source frame 0 is black (H.264 round trip)
    assert result.stitch.overlap == 1
