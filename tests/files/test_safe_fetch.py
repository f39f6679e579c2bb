"""The safe fetcher: internal addresses refused after resolution and on redirects, byte caps, timeouts."""

from __future__ import annotations

import ipaddress

import pytest

from ltxserve.files.addresses import is_blocked
from ltxserve.files.datauri import encode_data_uri, parse_data_uri
from ltxserve.files.errors import BlockedAddressError, FetchError
from ltxserve.files.fetch import SafeFetcher

pytestmark = pytest.mark.timeout(30)
BLOCKED_HOSTS = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "localhost",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "169.254.169.254",
    "10.0.0.1",
    "192.168.1.1",
    "[2002:7f00:1::]",  # 6to4 wrapping 127.0.0.1
]


@pytest.mark.parametrize("host", BLOCKED_HOSTS)
def test_internal_addresses_are_refused(host: str) -> None:
    fetcher = SafeFetcher()
    with pytest.raises(BlockedAddressError):
        fetcher.fetch_bytes(f"http://{host}:9/file", limit=10_000)


@pytest.mark.parametrize("host", BLOCKED_HOSTS)
def test_redirect_from_an_allowed_host_to_an_internal_one_is_refused(http_server: str, host: str) -> None:
    port = http_server.split(":")[1]
    # The test server is allowed under one of its names; the redirect goes to the other (not allowed).
    allowed = "127.0.0.1" if host == "localhost" else "localhost"
    fetcher = SafeFetcher(allow_hosts=[allowed])
    target = f"http://{host}:{port}/file"
    with pytest.raises(BlockedAddressError):
        fetcher.fetch_bytes(f"http://{allowed}:{port}/redirect?to={target}", limit=10_000)


@pytest.mark.parametrize(
    "address",
    [
        "100.64.0.1",
        "224.0.0.1",
        "0.0.0.0",
        "fe80::1",
        "fc00::1",
        "64:ff9b::7f00:1",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",
    ],
)
def test_other_non_public_ranges_and_tunnels_are_blocked(address: str) -> None:
    assert is_blocked(ipaddress.ip_address(address))


def test_public_addresses_pass() -> None:
    assert not is_blocked(ipaddress.ip_address("93.184.216.34"))
    assert not is_blocked(ipaddress.ip_address("2606:4700::1111"))


def test_allow_listed_host_is_fetched_and_redirects_followed(http_server: str) -> None:
    fetcher = SafeFetcher(allow_hosts=["127.0.0.1"])
    fetched = fetcher.fetch_bytes(f"http://{http_server}/redirect?to=/file", limit=10_000)
    assert fetched.data == b"x" * 1000
    assert fetched.content_type == "audio/wav"


def test_byte_caps_on_declared_missing_and_lying_lengths(http_server: str) -> None:
    fetcher = SafeFetcher(allow_hosts=["127.0.0.1"])
    for path in ("/big-declared", "/no-length"):
        with pytest.raises(FetchError) as info:
            fetcher.fetch_bytes(f"http://{http_server}{path}", limit=50_000)
        assert info.value.too_large
    lying = fetcher.fetch_bytes(f"http://{http_server}/lying-length", limit=50_000)
    assert len(lying.data) <= 100


def test_read_timeout(http_server: str) -> None:
    fetcher = SafeFetcher(allow_hosts=["127.0.0.1"], read_timeout_s=0.3)
    with pytest.raises(FetchError):
        fetcher.fetch_bytes(f"http://{http_server}/stall", limit=100)


def test_only_http_schemes(http_server: str) -> None:
    for url in ("file:///etc/passwd", "ftp://example.com/x", "gopher://127.0.0.1/"):
        with pytest.raises(FetchError):
            SafeFetcher().fetch_bytes(url, limit=100)


def test_fetch_to_path_leaves_no_partial_file(http_server: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fetcher = SafeFetcher(allow_hosts=["127.0.0.1"])
    dest = tmp_path / "lora.safetensors"
    with pytest.raises(FetchError):
        fetcher.fetch_to_path(f"http://{http_server}/no-length", dest, limit=50_000)
    assert list(tmp_path.iterdir()) == []
    fetcher.fetch_to_path(f"http://{http_server}/file", dest, limit=50_000)
    assert dest.read_bytes() == b"x" * 1000


def test_data_uris() -> None:
    uri = encode_data_uri(b"hello", "audio/wav")
    parsed = parse_data_uri(uri, limit=100)
    assert parsed.data == b"hello"
    assert parsed.content_type == "audio/wav"
    assert parse_data_uri("data:,a%20b", limit=100).data == b"a b"
    with pytest.raises(FetchError):
        parse_data_uri(encode_data_uri(b"x" * 200, "a/b"), limit=100)
