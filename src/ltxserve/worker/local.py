"""A `RunContext` for one in-process generation (`ltxserve generate`): local files in, one file out."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ltxserve.files.datauri import parse_data_uri
from ltxserve.files.fetch import Fetched
from ltxserve.jobs.records import LogLevel, model_error
from ltxserve.worker.runner import JobError

MAX_DATA_URI_BYTES = 100 * 1024 * 1024


class LocalContext:
    """Reads `file://` URLs, plain paths and data URIs; writes the output to `out`."""

    def __init__(
        self,
        out: Path,
        on_progress: Callable[[str, int, int], None] | None = None,
        on_log: Callable[[str, LogLevel], None] | None = None,
    ) -> None:
        self.request_id = "local"
        self.endpoint_id = ""
        self.out = out
        self._on_progress = on_progress or (lambda stage, step, total: None)
        self._on_log = on_log or (lambda message, level: None)

    def log(self, message: str, level: LogLevel = "INFO") -> None:
        self._on_log(message, level)

    def progress(self, stage: str, step: int, total: int) -> None:
        self._on_progress(stage, step, total)

    def should_cancel(self) -> bool:
        return False

    def read_input(self, loc: tuple[str | int, ...], url: str, limit: int | None = None) -> Fetched:
        if url.startswith("data:"):
            parsed = parse_data_uri(url, limit or MAX_DATA_URI_BYTES)
            return Fetched(data=parsed.data, content_type=parsed.content_type, url=url)
        path = _local_path(url)
        if not path.is_file():
            raise JobError(model_error("file_download_error", f"no such file: {path}", list(loc)))
        if limit is not None and path.stat().st_size > limit:
            raise JobError(model_error("file_too_large", f"{path} is over {limit} bytes", list(loc)))
        return Fetched(data=path.read_bytes(), content_type="application/octet-stream", url=url)

    def input_to_path(self, loc: tuple[str | int, ...], url: str, dest: Path, limit: int) -> str:
        source = _local_path(url)
        if not source.is_file():
            raise JobError(model_error("file_download_error", f"no such file: {source}", list(loc)))
        shutil.copyfile(source, dest)
        return "application/octet-stream"

    def store_output(
        self, data: bytes, content_type: str, file_name: str, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.out.write_bytes(data)
        return {
            "url": self.out.resolve().as_uri(),
            "content_type": content_type,
            "file_name": self.out.name,
            "file_size": len(data),
            **(extra or {}),
        }


def _local_path(url: str) -> Path:
    if url.startswith("file://"):
        return Path(unquote(urlparse(url).path))
    return Path(url).expanduser()
