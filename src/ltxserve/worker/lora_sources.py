"""Where a job's LoRA files come from: the download cache, operator-allowed folders, camera LoRAs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from ltxserve.files.lora_cache import LoraCache
from ltxserve.files.storage import object_key_from_url
from ltxserve.jobs.records import model_error
from ltxserve.worker.runner import JobError, RunContext

LORA_MAX_BYTES = 3 * 1024**3  # fal's documented cap per LoRA


@dataclass(frozen=True)
class LoraSources:
    """Where LoRA files come from: the download cache, operator-allowed folders, camera LoRA sources."""

    cache: LoraCache | None = None  # None: download per job into its scratch folder (the CLI)
    local_dirs: tuple[Path, ...] = ()
    camera: dict[str, str] = field(default_factory=dict)

    def fetch(self, ctx: RunContext, loc: tuple[str | int, ...], url: str, scratch: Path) -> str:
        """A local path for the LoRA at `url`: an allowed local file as is, else downloaded (cached)."""
        local = self._allowed_local(url)
        if local is not None:
            return str(local)

        def download(dest: Path) -> None:
            ctx.input_to_path(loc, url, dest, LORA_MAX_BYTES)

        # Our own uploads skip the cache, which is keyed by URL: the owner check and the upload's expiry
        # must apply on every use, not only on the first (key B must not reuse key A's cached upload).
        if self.cache is not None and object_key_from_url(url) is None:
            return str(self.cache.get(url, download))
        dest = scratch / f"lora-{len(list(scratch.glob('lora-*')))}.safetensors"
        download(dest)
        return str(dest)

    def camera_file(self, ctx: RunContext, value: str, scratch: Path) -> str:
        """The local file of the `camera_lora` value (settings map each value to a file or URL)."""
        source = self.camera.get(value)
        if source is None:
            msg = f"no camera LoRA is installed for {value!r}"
            raise JobError(model_error("feature_not_supported", msg, ["body", "camera_lora"]))
        return self.fetch(ctx, ("body", "camera_lora"), source, scratch)

    def _allowed_local(self, url: str) -> Path | None:
        if not self.local_dirs or not (url.startswith("file://") or url.startswith("/")):
            return None
        path = Path(unquote(urlparse(url).path) if url.startswith("file://") else url).resolve()
        if any(path.is_relative_to(folder.resolve()) for folder in self.local_dirs) and path.is_file():
            return path
        return None
