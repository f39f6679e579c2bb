"""Reading an input URL: data URIs inline, our own uploads from storage, anything else by the safe fetcher."""

from __future__ import annotations

from pathlib import Path

from ltxserve.files.datauri import is_data_uri, parse_data_uri
from ltxserve.files.errors import FetchError
from ltxserve.files.fetch import Fetched, SafeFetcher
from ltxserve.files.objects import ObjectStore
from ltxserve.files.storage import ObjectMeta, object_key_from_url
from ltxserve.settings import Settings


class InputResolver:
    """Turns the URL in an input field into bytes, without HTTP for data URIs and our own files."""

    def __init__(self, storage: ObjectStore, fetcher: SafeFetcher, max_bytes: int) -> None:
        self.storage = storage
        self.fetcher = fetcher
        self.max_bytes = max_bytes

    @classmethod
    def from_settings(cls, settings: Settings, storage: ObjectStore) -> InputResolver:
        fetcher = SafeFetcher(
            settings.fetch_allow_hosts,
            settings.fetch_connect_timeout_s,
            settings.fetch_read_timeout_s,
            settings.fetch_max_redirects,
        )
        return cls(storage, fetcher, settings.max_input_bytes)

    def read(self, url: str, owner: str, limit: int | None = None) -> Fetched:
        """The bytes behind `url`; raises `FetchError` with a reason fit for the user."""
        limit = limit or self.max_bytes
        if is_data_uri(url):
            parsed = parse_data_uri(url, limit)
            return Fetched(parsed.data, parsed.content_type, "data:")
        own = self._own_object(url, owner)
        if own is not None:
            return own
        return self.fetcher.fetch_bytes(url, limit)

    def read_to_path(self, url: str, owner: str, dest: Path, limit: int) -> str:
        """Like `read`, streaming to `dest` (for large files such as LoRAs); returns the content type."""
        meta = self._own_meta(url, owner)
        if meta is not None:  # copied on disk, never whole in memory (LoRAs reach gigabytes)
            if meta.size > limit:
                raise FetchError.over(limit)
            self.storage.copy_to(meta, dest)
            return meta.content_type
        if is_data_uri(url):
            fetched = self.read(url, owner, limit)
            dest.write_bytes(fetched.data)
            return fetched.content_type
        return self.fetcher.fetch_to_path(url, dest, limit)

    def _own_meta(self, url: str, owner: str) -> ObjectMeta | None:
        key = object_key_from_url(url)
        if key is None:
            return None
        meta = self.storage.meta(key)
        if meta is None:
            # Not one of ours (or expired): a URL on another host with the same shape is fetched as usual.
            return None
        if meta.owner != owner:
            raise FetchError("file not found")
        return meta

    def _own_object(self, url: str, owner: str) -> Fetched | None:
        meta = self._own_meta(url, owner)
        if meta is None:
            return None
        return Fetched(self.storage.read_bytes(meta), meta.content_type, url)
