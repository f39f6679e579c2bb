"""extend-video's media: decoding the source under a budget, and stitching the output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ltxserve.media.errors import MediaError
from ltxserve.media.limits import MediaLimits
from ltxserve.media.stitch import stitch_audio, stitch_video
from ltxserve.media.video_in import decode_video

from ..extend_assets import RATE, moving_frames, psnr, tone, write_clip


def test_decodes_frames_rate_and_audio(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", count=33, fps=24)
    decoded = decode_video(clip.read_bytes())
    assert decoded.frames.shape == (33, 64, 96, 3)
    assert decoded.fps == pytest.approx(24)
    assert psnr(decoded.frames, moving_frames(33)) > 35
    assert decoded.waveform is not None
    assert decoded.waveform.shape[0] == 2
    assert decoded.waveform.shape[1] / decoded.sample_rate == pytest.approx(33 / 24, abs=0.05)


def test_a_silent_video_has_no_track(tmp_path: Path) -> None:
    decoded = decode_video(write_clip(tmp_path / "silent.mp4", count=9, audio=False))
    assert decoded.waveform is None
    assert len(decoded.frames) == 9


def test_over_the_decode_budget_is_refused(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", count=33)
    with pytest.raises(MediaError) as caught:
        decode_video(clip, limits=MediaLimits(max_video_pixel_frames=96 * 64 * 20))
    assert caught.value.error_type == "file_too_large"
    assert caught.value.field == "video_url"


@pytest.mark.parametrize("data", [b"not a video at all", b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)])
def test_not_a_video_is_refused(data: bytes) -> None:
    with pytest.raises(MediaError) as caught:
        decode_video(data)
    assert caught.value.error_type == "unsupported_video_format"


def test_forward_stitch_keeps_the_source_then_the_new_frames() -> None:
    source, segment = moving_frames(17), np.zeros((25, 64, 96, 3), np.uint8)
    joined = stitch_video(source, segment, 9, before=False)
    assert len(joined) == 17 + 25 - 9
    assert np.array_equal(joined[:17], source)
    assert not joined[17:].any()
    backward = stitch_video(source, segment, 9, before=True)
    assert np.array_equal(backward[-17:], source)
    assert not backward[:16].any()


def test_audio_cross_fades_inside_the_overlap() -> None:
    fps, src_frames, seg_frames, overlap = 24.0, 48, 48, 24  # 2 s, 2 s, 1 s overlap → 3 s
    source = (tone(2.0), RATE)
    segment = (np.full((2, 2 * RATE), 0.5, np.float32), RATE)
    kw = {"fps": fps, "source_frames": src_frames, "segment_frames": seg_frames, "overlap": overlap}
    audio, rate = stitch_audio(source, segment, before=False, **kw)
    assert rate == RATE
    assert audio.shape == (2, 3 * RATE)
    assert np.allclose(audio[:, :RATE], tone(1.0))  # the source alone before the fade
    assert np.allclose(audio[:, 2 * RATE + 10 :], 0.5)  # the segment alone after the seam (t = 2 s)
    mid = round((2.0 - 0.125) * RATE)
    assert np.allclose(audio[0, mid], 0.5 * tone(2.0)[0, mid] + 0.25, atol=1e-3)  # half way through the fade
    kept, _ = stitch_audio(source, None, before=False, **kw)
    assert np.allclose(kept[:, : 2 * RATE], tone(2.0))
    assert not kept[:, 2 * RATE :].any()
    assert stitch_audio(None, None, before=False, **kw) == (None, 0)
