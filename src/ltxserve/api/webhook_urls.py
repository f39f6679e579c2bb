"""`fal_webhook` URLs checked at submit with the same address guard the deliveries go through, so a URL
that could never be delivered to is a 422 now, not a silent failure two hours later."""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from ltxserve.api.body import invalid
from ltxserve.files.addresses import checked_addresses
from ltxserve.files.errors import FetchError

LOC: list[str | int] = ["query", "fal_webhook"]


def check_webhook_url(url: str, allow_hosts: Iterable[str]) -> str:
    """The URL, normalised (`HTTP://Host/` → `http://host/`), or a 422 saying why it cannot be used."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise invalid(LOC, f"Invalid URL: {exc}", "url_parsing") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise invalid(LOC, "fal_webhook must be an absolute http(s) URL", "url_scheme")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    allowed = frozenset(h.strip("[]").lower() for h in allow_hosts)
    try:
        checked_addresses(parsed.host, port, allowed)
    except FetchError as exc:  # BlockedAddressError is one: loopback, private, metadata, ...
        raise invalid(LOC, f"Webhook URL refused: {exc}", "url_refused") from None
    return str(parsed)
