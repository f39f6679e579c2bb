"""Errors raised while reading inputs and storing outputs."""

from __future__ import annotations


class StorageError(Exception):
    """A storage operation was refused (bad key, missing object, over the size limit)."""


class FetchError(Exception):
    """An input could not be fetched; `reason` is safe to show the user."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_large = too_large

    @classmethod
    def over(cls, limit: int, what: str = "file") -> FetchError:
        """The input is larger than `limit` bytes (reported as fal's `file_too_large`)."""
        return cls(f"{what} larger than {limit} bytes", too_large=True)


class BlockedAddressError(FetchError):
    """The URL resolves to an address the fetcher may not reach (loopback, private, metadata...)."""
