"""Open an input (bytes or a path) for PyAV without reading more than the byte limit."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

from ltxserve.media.errors import MediaError

MediaSource = bytes | bytearray | memoryview | str | Path


def open_source(data: MediaSource, *, field: str, max_bytes: int) -> BinaryIO:
    """A seekable binary stream over `data`; refuses anything over `max_bytes` with `file_too_large`."""
    if isinstance(data, str | Path):
        path = Path(data)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise MediaError(
                "file_download_error", f"cannot read the input file: {exc}", field=field
            ) from exc
        _check_size(size, field=field, max_bytes=max_bytes)
        return path.open("rb")
    _check_size(len(data), field=field, max_bytes=max_bytes)
    return io.BytesIO(bytes(data))


def _check_size(size: int, *, field: str, max_bytes: int) -> None:
    if size > max_bytes:
        raise MediaError(
            "file_too_large",
            f"the file is {size} bytes, more than the limit of {max_bytes}",
            field=field,
            ctx={"max_size": max_bytes, "size": size},
        )
