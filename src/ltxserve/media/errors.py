"""Media errors that carry the fal error type, so the API can answer with fal's 422 shape."""

from __future__ import annotations

from typing import Any, Literal

MediaErrorType = Literal[
    "unsupported_audio_format",
    "unsupported_video_format",
    "unsupported_image_format",
    "image_load_error",
    "image_too_large",
    "image_too_small",
    "file_too_large",
    "file_download_error",
]


class MediaError(Exception):
    """An input the media layer refuses; `error_type` is one of fal's documented model error types."""

    def __init__(
        self, error_type: MediaErrorType, msg: str, *, field: str, ctx: dict[str, Any] | None = None
    ):
        super().__init__(f"{field}: {msg}")
        self.error_type: MediaErrorType = error_type
        self.msg = msg
        self.field = field
        self.ctx: dict[str, Any] = dict(ctx or {})

    def to_detail(self) -> dict[str, Any]:
        """One item of fal's `detail` list: {loc, msg, type, url, ctx}."""
        return {
            "loc": ["body", self.field],
            "msg": self.msg,
            "type": self.error_type,
            "url": f"https://docs.fal.ai/errors/#{self.error_type}",
            "ctx": self.ctx,
        }
