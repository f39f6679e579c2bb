"""Every refusal carries its fal error type, the input field, and the limit in ctx."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from ltxserve.media import MediaError, MediaLimits, decode_audio, decode_image

from .media_assets import gradient_image, image_bytes, tone, write_audio


def _raises(error_type: str, call, *args, **kwargs) -> MediaError:
    with pytest.raises(MediaError) as caught:
        call(*args, **kwargs)
    assert caught.value.error_type == error_type
    return caught.value


def test_garbage_audio_is_unsupported_audio_format() -> None:
    error = _raises(
        "unsupported_audio_format", decode_audio, b"this is not audio at all" * 50, field="audio_url"
    )
    detail = error.to_detail()
    assert detail["loc"] == ["body", "audio_url"]
    assert detail["type"] == "unsupported_audio_format"
    assert detail["url"].endswith("#unsupported_audio_format")


def test_an_image_sent_as_audio_is_unsupported_audio_format() -> None:
    # FFmpeg opens PNG as a one-frame video: it has no audio track.
    _raises("unsupported_audio_format", decode_audio, image_bytes(gradient_image(), "PNG"))


def test_corrupt_audio_is_unsupported_audio_format(tmp_path: Path) -> None:
    path = write_audio(
        tmp_path / "t.mp3", tone(2.0), 48000, fmt="mp3", codec="libmp3lame", out_rate=48000, layout="mono"
    )
    data = bytearray(path.read_bytes())
    data[:4096] = bytes(4096)  # wipe the headers and the first frames
    data[4096:] = np.random.default_rng(0).integers(0, 256, len(data) - 4096, dtype=np.uint8).tobytes()
    _raises("unsupported_audio_format", decode_audio, bytes(data))


def test_audio_longer_than_the_limit_is_file_too_large(tmp_path: Path) -> None:
    path = write_audio(
        tmp_path / "long.flac", tone(5.0), 48000, fmt="flac", codec="flac", out_rate=48000, layout="mono"
    )
    error = _raises("file_too_large", decode_audio, path, limits=MediaLimits(max_audio_seconds=2.0))
    assert error.ctx == {"max_duration": 2.0}


def test_audio_limit_holds_while_decoding_when_the_header_lies(tmp_path: Path, monkeypatch) -> None:
    # Headers can understate the length; with the header check disabled, decoding still stops at the limit.
    from ltxserve.media import audio_in

    monkeypatch.setattr(audio_in, "_check_declared_duration", lambda *args, **kwargs: None)
    path = write_audio(
        tmp_path / "long.wav", tone(5.0), 48000, fmt="wav", codec="pcm_s16le", out_rate=48000, layout="mono"
    )
    _raises("file_too_large", decode_audio, path, limits=MediaLimits(max_audio_seconds=2.0))


def test_oversized_input_bytes_are_file_too_large() -> None:
    error = _raises(
        "file_too_large", decode_image, b"\x89PNG" + bytes(2000), limits=MediaLimits(max_input_bytes=1000)
    )
    assert error.ctx["max_size"] == 1000
    _raises("file_too_large", decode_audio, bytes(2000), limits=MediaLimits(max_input_bytes=1000))


def test_missing_file_is_file_download_error(tmp_path: Path) -> None:
    _raises("file_download_error", decode_image, tmp_path / "nope.png")


def test_text_is_unsupported_image_format() -> None:
    error = _raises(
        "unsupported_image_format",
        decode_image,
        b"hello world, definitely not an image",
        field="end_image_url",
    )
    assert error.field == "end_image_url"


def test_an_undocumented_image_format_is_unsupported_image_format() -> None:
    error = _raises("unsupported_image_format", decode_image, image_bytes(gradient_image(), "ICO"))
    assert "PNG" in error.ctx["supported_formats"]


def test_truncated_image_is_image_load_error() -> None:
    data = image_bytes(gradient_image(), "PNG")
    _raises("image_load_error", decode_image, data[: len(data) // 2])


def test_too_many_pixels_is_image_too_large_before_decoding() -> None:
    # A 20000×20000 PNG (400 MP) of a few hundred bytes: refused from its header, never decoded.
    width = height = 20000
    row = b"\x00" + bytes(width)  # filter byte + one grey byte per pixel
    compressor = zlib.compressobj(9)
    raw = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    assert len(png) < 1_000_000
    error = _raises("image_too_large", decode_image, png)
    assert error.ctx == {"max_pixels": MediaLimits().max_image_pixels}


def test_pixel_limit_is_a_setting() -> None:
    data = image_bytes(gradient_image(320, 200), "PNG")
    _raises("image_too_large", decode_image, data, limits=MediaLimits(max_image_pixels=320 * 200 - 1))
    assert decode_image(data, limits=MediaLimits(max_image_pixels=320 * 200)).shape == (200, 320, 3)


def test_tiny_image_is_image_too_small() -> None:
    error = _raises("image_too_small", decode_image, image_bytes(gradient_image(40, 100), "PNG"))
    assert error.ctx == {"min_width": 64, "min_height": 64}


def test_media_error_message_names_the_field() -> None:
    error = MediaError("image_load_error", "broken", field="image_url", ctx={"a": 1})
    assert str(error) == "image_url: broken"
    assert error.to_detail()["ctx"] == {"a": 1}


def test_empty_input_is_refused() -> None:
    _raises("unsupported_audio_format", decode_audio, b"")
    _raises("unsupported_image_format", decode_image, io.BytesIO().getvalue())
