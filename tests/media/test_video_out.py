"""Video outputs: each type probed back (codecs, streams, frames, fps, duration, audio) and in sync."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from ltxserve.media import (
    CONTAINERS,
    AudioTrack,
    VideoEncoder,
    encode_video,
    frame_rate_fraction,
    probe_video,
)

from .media_assets import tone

# (output type, video codec as probed, pixel formats as decoded, audio codec or None)
EXPECTED = [
    ("X264 (.mp4)", "h264", {"yuv420p"}, "aac"),
    ("VP9 (.webm)", "vp9", {"yuv420p"}, "opus"),
    # FFmpeg's ProRes decoder reports 4444 streams as 12-bit whatever the encoder's 10-bit input.
    ("PRORES4444 (.mov)", "prores", {"yuv444p10le", "yuv444p12le"}, "pcm_s16le"),
    ("GIF (.gif)", "gif", {"bgra", "pal8"}, None),
]


def _path(tmp_path: Path, output_type: str, stem: str = "out") -> Path:
    return tmp_path / f"{stem}{CONTAINERS[output_type].extension}"


@pytest.mark.parametrize(("output_type", "codec", "pix_fmts", "audio_codec"), EXPECTED)
def test_each_output_type_probes_as_documented(
    tmp_path: Path,
    frames: np.ndarray,
    output_type: str,
    codec: str,
    pix_fmts: set[str],
    audio_codec: str | None,
) -> None:
    audio = AudioTrack(tone(3.0, rate=16000), 16000)  # longer than the video, mono, another rate
    info = encode_video(_path(tmp_path, output_type), frames, fps=24, output_type=output_type, audio=audio)
    assert (info.width, info.height, info.num_frames) == (256, 160, 25)
    assert info.video_codec == codec
    assert info.pix_fmt in pix_fmts
    assert info.content_type == CONTAINERS[output_type].content_type
    assert info.file_size == _path(tmp_path, output_type).stat().st_size > 0
    assert info.file_name == _path(tmp_path, output_type).name
    # GIF delays are whole centiseconds: 24 fps is shown as 4,4,4,5,... cs, about 24.04 fps on average.
    assert info.fps == pytest.approx(24, abs=0.05)
    assert info.duration == pytest.approx(25 / 24, abs=0.011)
    with av.open(str(_path(tmp_path, output_type))) as container:
        assert len(container.streams.video) == 1
        assert len(container.streams.audio) == (1 if audio_codec else 0)
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded == 25
    if audio_codec:
        assert info.audio_codec == audio_codec
        assert (info.audio_sample_rate, info.audio_channels) == (48000, 2)
        # Audio was trimmed to the video: the two agree within one frame.
        assert abs(info.audio_duration - info.duration) < 1 / 24


@pytest.mark.parametrize("output_type", ["X264 (.mp4)", "VP9 (.webm)", "PRORES4444 (.mov)"])
@pytest.mark.parametrize("fps", [23.976, 25.0, 12.5])
def test_fractional_frame_rates_and_short_audio_stay_in_sync(
    tmp_path: Path, frames: np.ndarray, output_type: str, fps: float
) -> None:
    audio = AudioTrack(tone(0.5, channels=2), 48000)  # shorter than the video: padded with silence
    info = encode_video(
        _path(tmp_path, output_type),
        frames,
        fps=fps,
        output_type=output_type,
        audio=audio,
        quality="low",
        write_mode="fast",
    )
    expected_fps = 24000 / 1001 if fps == 23.976 else fps
    assert info.fps == pytest.approx(expected_fps, rel=1e-4)
    assert info.num_frames == 25
    assert info.duration == pytest.approx(25 / expected_fps, abs=1e-3)
    assert abs(info.audio_duration - info.duration) < 1 / fps


def test_streaming_writes_in_uneven_chunks_equal_one_shot(tmp_path: Path, frames: np.ndarray) -> None:
    path = tmp_path / "chunks.mp4"
    with VideoEncoder(path, width=256, height=160, fps=24, audio=AudioTrack(tone(2.0), 48000)) as encoder:
        encoder.write(frames[0])  # a single (H, W, 3) frame
        encoder.write(frames[1:4])
        encoder.write(frames[4:25])
        info = encoder.close()
    assert info.num_frames == 25
    assert encoder.frames_written == 25
    assert abs(info.audio_duration - info.duration) < 1 / 24


@pytest.mark.parametrize("output_type", ["X264 (.mp4)", "VP9 (.webm)", "PRORES4444 (.mov)"])
def test_saturated_colours_survive_the_yuv_round_trip(tmp_path: Path, output_type: str) -> None:
    # Converted with the BT.709 matrix and tagged BT.709: a player decoding per the tags gets the colours
    # back (a BT.601/709 mix-up would shift saturated red by 10-20 levels).
    colours = np.array([[200, 40, 40], [40, 200, 40], [40, 40, 200], [230, 230, 230]], np.uint8)
    frame = np.repeat(np.repeat(colours[None, :, :], 64, axis=0), 64, axis=1)  # (64, 256, 3) four bands
    path = _path(tmp_path, output_type)
    encode_video(path, np.repeat(frame[None], 3, axis=0), fps=24, output_type=output_type, quality="maximum")
    with av.open(str(path)) as container:
        decoded = next(container.decode(video=0)).to_ndarray(format="rgb24")
    for band, colour in enumerate(colours):
        centre = decoded[16:48, band * 64 + 16 : band * 64 + 48].reshape(-1, 3).mean(axis=0)
        np.testing.assert_allclose(centre, colour, atol=4)


def test_mp4_is_faststart(tmp_path: Path, frames: np.ndarray) -> None:
    path = tmp_path / "fast.mp4"
    encode_video(path, frames, fps=24)
    head = path.read_bytes()[:4096]
    assert head.find(b"moov") != -1
    assert head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat")


def test_h264_is_tagged_bt709(tmp_path: Path, frames: np.ndarray) -> None:
    path = tmp_path / "tags.mp4"
    encode_video(path, frames[:3], fps=24)
    with av.open(str(path)) as container:
        context = container.streams.video[0].codec_context
        assert (context.color_primaries, context.color_trc, context.colorspace) == (1, 1, 1)


def test_video_without_audio_has_one_stream(tmp_path: Path, frames: np.ndarray) -> None:
    info = encode_video(tmp_path / "silent.webm", frames, fps=24, output_type="VP9 (.webm)")
    assert info.audio_codec is None
    assert probe_video(tmp_path / "silent.webm").num_frames == 25


def test_wrong_extension_and_odd_sizes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.mp4"):
        VideoEncoder(tmp_path / "x.webm", width=256, height=160, fps=24)
    with pytest.raises(ValueError, match="even"):
        VideoEncoder(tmp_path / "x.mp4", width=255, height=160, fps=24)
    with (
        pytest.raises(ValueError, match="uint8"),
        VideoEncoder(tmp_path / "y.mp4", width=256, height=160, fps=24) as encoder,
    ):
        encoder.write(np.zeros((1, 160, 256, 3), np.float32))
    assert not (tmp_path / "y.mp4").exists()  # a failed encode leaves no partial file


def test_leaving_the_with_block_finishes_the_file(tmp_path: Path, frames: np.ndarray) -> None:
    with VideoEncoder(tmp_path / "auto.mp4", width=256, height=160, fps=24) as encoder:
        encoder.write(frames[:5])
    assert encoder.info is not None
    assert probe_video(tmp_path / "auto.mp4").num_frames == 5


@pytest.mark.parametrize(
    ("fps", "fraction"),
    [
        (23.976, Fraction(24000, 1001)),
        (29.97, Fraction(30000, 1001)),
        (24.0, Fraction(24)),
        (12.5, Fraction(25, 2)),
    ],
)
def test_frame_rates_become_exact_fractions(fps: float, fraction: Fraction) -> None:
    assert frame_rate_fraction(fps) == fraction
