"""An uploaded LoRA stays its owner's: the LoRA cache (keyed by URL) never hands it to another key, and an
expired upload stops being usable even after it was cached once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ltxserve.files.errors import FetchError
from ltxserve.files.fetch import SafeFetcher
from ltxserve.files.lora_cache import LoraCache
from ltxserve.files.resolve import InputResolver
from ltxserve.files.storage import LocalStorage
from ltxserve.jobs.records import model_error
from ltxserve.worker.lora_sources import LoraSources
from ltxserve.worker.runner import JobError

LOC = ("body", "loras", 0, "path")


class OwnerContext:
    """What `JobContext.input_to_path` does for a job submitted by `owner`."""

    def __init__(self, resolver: InputResolver, owner: str) -> None:
        self.resolver, self.owner = resolver, owner

    def input_to_path(self, loc: tuple[str | int, ...], url: str, dest: Path, limit: int) -> str:
        try:
            return self.resolver.read_to_path(url, self.owner, dest, limit)
        except FetchError as exc:
            raise JobError(model_error("file_download_error", exc.reason, list(loc))) from exc


@pytest.fixture
def setup(tmp_path: Path) -> tuple[LocalStorage, InputResolver, LoraSources]:
    storage = LocalStorage(tmp_path / "files", 3600)
    resolver = InputResolver(storage, SafeFetcher(), 10**6)
    return storage, resolver, LoraSources(cache=LoraCache(tmp_path / "cache", 10**9))


def test_another_key_cannot_use_an_upload_the_owner_already_used(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    storage, resolver, sources = setup
    meta = storage.put(
        b"weights", file_name="a.safetensors", content_type="application/octet-stream", owner="key_a"
    )
    url = f"http://server.example/files/{meta.key}"
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    path = sources.fetch(OwnerContext(resolver, "key_a"), LOC, url, tmp_path / "a")  # type: ignore[arg-type]
    assert Path(path).read_bytes() == b"weights"
    with pytest.raises(JobError) as refused:
        sources.fetch(OwnerContext(resolver, "key_b"), LOC, url, tmp_path / "b")  # type: ignore[arg-type]
    assert refused.value.failure.body["detail"][0]["loc"] == list(LOC)
    assert not list((tmp_path / "b").iterdir())


def test_an_expired_upload_stops_being_usable(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    storage, resolver, sources = setup
    meta = storage.put(b"weights", file_name="a.safetensors", content_type="x", owner="key_a", ttl_s=1)
    url = f"http://server.example/files/{meta.key}"
    owner = OwnerContext(resolver, "key_a")
    (tmp_path / "s").mkdir()
    sources.fetch(owner, LOC, url, tmp_path / "s")  # type: ignore[arg-type]
    time.sleep(1.1)
    with pytest.raises(JobError):
        sources.fetch(owner, LOC, url, tmp_path / "s")  # type: ignore[arg-type]
