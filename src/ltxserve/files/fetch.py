"""The safe fetcher: http(s) only, addresses vetted at connect time, every redirect re-checked, byte caps."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpcore
import httpx

from ltxserve.files.addresses import checked_addresses
from ltxserve.files.errors import FetchError

CHUNK = 1024 * 1024


class GuardedBackend(httpcore.SyncBackend):
    """Resolves the host itself and connects only to vetted addresses, so DNS cannot change in between."""

    def __init__(self, allow_hosts: frozenset[str]) -> None:
        self.allow_hosts = allow_hosts

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        last_error: Exception | None = None
        for ip in checked_addresses(host, port, self.allow_hosts):
            try:
                return super().connect_tcp(str(ip), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last_error = exc
        raise httpcore.ConnectError(f"cannot connect to {host}: {last_error}")


def guarded_transport(allow_hosts: frozenset[str]) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes through `GuardedBackend` (TLS still uses the name)."""
    transport = httpx.HTTPTransport(retries=0)
    # httpx exposes no public hook for the network backend; the pool's is swapped before first use.
    transport._pool._network_backend = GuardedBackend(allow_hosts)
    return transport


@dataclass(frozen=True)
class Fetched:
    """A fetched body and what the server said it is."""

    data: bytes
    content_type: str
    url: str


class SafeFetcher:
    """Fetches user-supplied URLs without reaching internal addresses or reading past a byte cap."""

    def __init__(
        self,
        allow_hosts: typing.Iterable[str] = (),
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 60.0,
        max_redirects: int = 5,
    ) -> None:
        self.allow_hosts = frozenset(h.strip("[]").lower() for h in allow_hosts)
        self.max_redirects = max_redirects
        timeout = httpx.Timeout(read_timeout_s, connect=connect_timeout_s)
        self.client = httpx.Client(
            transport=guarded_transport(self.allow_hosts),
            timeout=timeout,
            trust_env=False,
            follow_redirects=False,
        )

    def close(self) -> None:
        self.client.close()

    @contextmanager
    def open(self, url: str, limit: int) -> Iterator[httpx.Response]:
        """A streamed 2xx response for `url`, after following (and re-checking) redirects."""
        for _ in range(self.max_redirects + 1):
            parsed = httpx.URL(url)
            if parsed.scheme not in ("http", "https") or not parsed.host:
                raise FetchError("only http and https URLs can be fetched")
            try:
                with self.client.stream("GET", parsed, headers={"Accept-Encoding": "identity"}) as response:
                    if response.is_redirect:
                        url = str(response.url.join(response.headers["location"]))
                        continue
                    if response.status_code >= 400:
                        raise FetchError(f"server answered HTTP {response.status_code}")
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > limit:
                        raise FetchError.over(limit)
                    yield response
                    return
            except httpx.HTTPError as exc:
                raise FetchError(f"download failed: {type(exc).__name__}") from exc
        raise FetchError("too many redirects")

    def fetch_bytes(self, url: str, limit: int) -> Fetched:
        """The whole body in memory; the cap counts bytes actually read, not the declared length."""
        with self.open(url, limit) as response:
            return Fetched(b"".join(_capped(response, limit)), _content_type(response), str(response.url))

    def fetch_to_path(self, url: str, dest: Path, limit: int) -> str:
        """Stream the body to `dest` (written to a temporary name, renamed when whole); returns the type."""
        tmp = dest.with_name(dest.name + ".partial")
        try:
            with self.open(url, limit) as response, tmp.open("wb") as out:
                for chunk in _capped(response, limit):
                    out.write(chunk)
                content_type = _content_type(response)
            tmp.replace(dest)
            return content_type
        finally:
            tmp.unlink(missing_ok=True)


def _capped(response: httpx.Response, limit: int) -> Iterator[bytes]:
    """The body's chunks, refused once more than `limit` bytes were read (whatever the server declared)."""
    size = 0
    for chunk in response.iter_bytes(CHUNK):
        size += len(chunk)
        if size > limit:
            raise FetchError.over(limit)
        yield chunk


def _content_type(response: httpx.Response) -> str:
    """The media type the server declared, without its parameters (`; charset=...`)."""
    return response.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
