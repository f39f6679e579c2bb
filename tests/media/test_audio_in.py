"""Audio inputs: every format decodes to stereo float32 at the asked rate, with the right duration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ltxserve.media import decode_audio, preprocess_audio

from .media_assets import AUDIO_INPUT_FORMATS, read_waveform, tone, write_audio

INPUT_NAMES = [name for name, *_ in AUDIO_INPUT_FORMATS] + ["speech_video.mp4"]


@pytest.mark.parametrize("name", INPUT_NAMES)
def test_every_input_format_decodes_to_stereo_speech(speech_files: dict[str, Path], name: str) -> None:
    source, source_rate = read_waveform(speech_files["speech.wav.src"])
    decoded = decode_audio(speech_files[name], field="audio_url", target_rate=16000)
    assert decoded.sample_rate == 16000
    assert decoded.waveform.dtype == np.float32
    assert decoded.waveform.shape[0] == 2
    # Lossy codecs add priming/padding of a few tens of ms at most; AAC in mp4 adds a frame at most.
    assert decoded.duration == pytest.approx(source.shape[1] / source_rate, abs=0.08)
    assert decoded.frames_at(24) == pytest.approx(decoded.duration * 24, abs=1)
    # It is the speech, not silence: loudness within a few dB of the source.
    source_rms = np.sqrt((source**2).mean())
    rms = np.sqrt((decoded.waveform**2).mean())
    assert 20 * np.log10(rms / source_rms) == pytest.approx(0, abs=3)


def test_native_rate_is_kept_without_target(speech_files: dict[str, Path]) -> None:
    decoded = decode_audio(speech_files["speech.flac"])
    assert decoded.sample_rate == 48000
    assert decoded.source_codec == "flac"


def test_mono_is_duplicated_not_attenuated(tmp_path: Path) -> None:
    path = write_audio(
        tmp_path / "mono.wav", tone(1.0), 48000, fmt="wav", codec="pcm_s16le", out_rate=48000, layout="mono"
    )
    decoded = decode_audio(path)
    assert decoded.source_channels == 1
    np.testing.assert_allclose(decoded.waveform[0], decoded.waveform[1])
    assert np.abs(decoded.waveform).max() == pytest.approx(0.3, abs=0.01)


def test_surround_is_downmixed_to_stereo(tmp_path: Path) -> None:
    six = tone(1.0, channels=6)
    path = write_audio(
        tmp_path / "surround.flac", six, 48000, fmt="flac", codec="flac", out_rate=48000, layout="5.1"
    )
    decoded = decode_audio(path)
    assert decoded.source_channels == 6
    assert decoded.waveform.shape == (2, 48000)
    assert np.abs(decoded.waveform).max() > 0.1


def test_preprocess_false_leaves_the_signal_untouched(speech_files: dict[str, Path]) -> None:
    source, rate = read_waveform(speech_files["speech.wav.src"])
    decoded = decode_audio(speech_files["speech.wav"], preprocess=False)
    assert decoded.sample_rate == rate
    np.testing.assert_allclose(decoded.waveform[0], source[0], atol=1e-6)


def test_preprocess_trims_silence_and_normalises_loudness(tmp_path: Path) -> None:
    quiet_speechlike = tone(2.0, amp=0.02)
    padded = np.concatenate([np.zeros((1, 48000)), quiet_speechlike, np.zeros((1, 96000))], axis=1)
    path = write_audio(
        tmp_path / "padded.wav", padded, 48000, fmt="wav", codec="pcm_s16le", out_rate=48000, layout="mono"
    )
    raw = decode_audio(path)
    prepared = decode_audio(path, preprocess=True)
    assert raw.duration == pytest.approx(5.0)
    # One second of leading and two of trailing silence go, keeping 50 ms margins.
    assert prepared.duration == pytest.approx(2.1, abs=0.02)
    # -20 dBFS gated RMS: a sine of peak 0.1414 (0.02 boosted by 17 dB).
    assert np.abs(prepared.waveform).max() == pytest.approx(0.1414, rel=0.03)


def test_preprocess_never_clips_and_keeps_silence(tmp_path: Path) -> None:
    loud = tone(1.0, amp=0.999)
    loud[:, ::97] = 1.0  # peaks above the sine
    assert np.abs(preprocess_audio(np.repeat(loud, 2, 0), 48000)).max() <= 10 ** (-1 / 20) + 1e-6
    silent = np.zeros((2, 48000), np.float32)
    np.testing.assert_array_equal(preprocess_audio(silent, 48000), silent)
