"""One latent geometry per request, and text-to-audio adapted at the edge (engine/geometry.py)."""

from ltxserve.engine.geometry import LatentChannels, LatentGeometry, LatentScales, VideoShape, joint_request
from ltxserve.engine.memory.shape import shape_of
from ltxserve.engine.request import EngineRequest, Guidance

LTX23 = LatentScales(temporal=8, spatial=32, audio_per_second=25.0)
CHANNELS = LatentChannels(video=128, audio=8, audio_mel_bins=16)
GUIDED = Guidance(cfg=3.0, stg=1.0, modality=3.0)


def request(**overrides) -> EngineRequest:
    base = dict(mode="text_to_video", prompt="a fox", width=1280, height=704, num_frames=121, fps=24.0)
    base.update(overrides)
    return EngineRequest(**base)  # type: ignore[arg-type]


def test_two_stage_geometry_runs_stage_one_at_half_size():
    geometry = LatentGeometry.of(request(use_multiscale=True), CHANNELS, LTX23)
    assert geometry.video.shape == VideoShape(128, 16, 22, 40)  # 14,080 tokens at 1280×704×121
    assert (geometry.first_stage.width, geometry.first_stage.height) == (640, 352)
    assert geometry.first_stage.shape == VideoShape(128, 16, 11, 20)
    assert geometry.audio.frames == round(121 / 24 * 25)
    assert geometry.two_stage
    assert geometry.has_video


def test_text_to_audio_is_a_one_stage_generation_without_pixels():
    joint = joint_request(request(mode="text_to_audio", use_multiscale=True, video_guidance=GUIDED))
    assert (joint.width, joint.height, joint.use_multiscale) == (0, 0, False)
    assert joint.video_guidance == Guidance()
    geometry = LatentGeometry.of(joint, CHANNELS, LTX23)
    assert not geometry.has_video
    assert not geometry.two_stage
    assert geometry.video.shape.tokens == 1  # the stand-in stream
    assert geometry.audio.frames == round(121 / 24 * 25)


def test_other_modes_pass_through_unchanged():
    original = request(mode="audio_to_video", use_multiscale=True, video_guidance=GUIDED)
    assert joint_request(original) is original


def test_the_memory_model_sees_text_to_audio_as_the_pipeline_runs_it():
    shape = shape_of(request(mode="text_to_audio", use_multiscale=True, video_guidance=GUIDED))
    assert not shape.video
    assert not shape.two_stage
    assert shape.passes == 1  # the video guidance is neutral and the audio's is off
