"""Text-to-audio output: 48 kHz stereo files with measured metadata."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from ltxserve.media import decode_audio, encode_audio

from .media_assets import tone


@pytest.mark.parametrize(
    ("output_format", "suffix", "codec", "content_type"),
    [
        ("wav", ".wav", "pcm_s16le", "audio/wav"),
        ("mp3", ".mp3", "mp3", "audio/mpeg"),
    ],
)
def test_audio_output_is_48k_stereo_with_metadata(
    tmp_path: Path, output_format: str, suffix: str, codec: str, content_type: str
) -> None:
    path = tmp_path / f"speech{suffix}"
    info = encode_audio(tone(5.04, rate=48000, channels=2), 48000, path, output_format=output_format)
    assert (info.sample_rate, info.channels, info.content_type) == (48000, 2, content_type)
    assert info.file_name == path.name
    assert info.file_size == path.stat().st_size
    # MP3 frames are 1152 samples: the last one is padded, so allow one frame (24 ms).
    assert info.duration == pytest.approx(5.04, abs=0.001 if output_format == "wav" else 0.05)
    with av.open(str(path)) as container:
        assert container.streams.audio[0].codec_context.name.startswith(codec[:3])
    decoded = decode_audio(path)
    assert np.abs(decoded.waveform).max() == pytest.approx(0.3, abs=0.02)


def test_mono_16k_is_upsampled_to_48k_stereo(tmp_path: Path) -> None:
    info = encode_audio(tone(2.0, rate=16000), 16000, tmp_path / "up.wav")
    assert (info.sample_rate, info.channels) == (48000, 2)
    assert info.duration == pytest.approx(2.0, abs=1e-3)
    assert info.fal_fields()["content_type"] == "audio/wav"


def test_out_of_range_samples_are_clipped_not_wrapped(tmp_path: Path) -> None:
    wave = np.full((2, 4800), 3.0, np.float32)
    wave[:, ::2] = np.nan
    encode_audio(wave, 48000, tmp_path / "clip.wav")
    decoded = decode_audio(tmp_path / "clip.wav")
    assert decoded.waveform.max() <= 1.0
    assert decoded.waveform.min() >= 0.0


def test_wrong_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.wav"):
        encode_audio(tone(0.1), 48000, tmp_path / "x.mp3")
