"""`data:` URIs: parsing inputs and encoding `sync_mode` outputs."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from ltxserve.files.errors import FetchError


@dataclass(frozen=True)
class DataUri:
    """A decoded data URI."""

    content_type: str
    data: bytes


def is_data_uri(url: str) -> bool:
    return url[:5].lower() == "data:"


def parse_data_uri(url: str, limit: int) -> DataUri:
    """Decode `data:<mime>[;base64],<payload>`, refusing payloads over `limit` bytes."""
    header, sep, payload = url[5:].partition(",")
    if not sep:
        raise FetchError("malformed data URI")
    # Base64 grows data by 4/3: check the encoded length before decoding anything.
    if len(payload) > limit * 4 // 3 + 4:
        raise FetchError.over(limit, "data URI")
    params = header.split(";")
    content_type = params[0] or "text/plain"
    try:
        data = (
            base64.b64decode(payload, validate=False) if "base64" in params[1:] else unquote_to_bytes(payload)
        )
    except (binascii.Error, ValueError) as exc:
        raise FetchError("malformed base64 in data URI") from exc
    if len(data) > limit:
        raise FetchError.over(limit, "data URI")
    return DataUri(content_type, data)


def encode_data_uri(data: bytes, content_type: str) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"
