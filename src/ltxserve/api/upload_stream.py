"""Request bodies streamed into storage as they arrive: at most `BLOCK_BYTES` of an upload in memory."""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from ltxserve.api.errors import fail
from ltxserve.files.errors import StorageError
from ltxserve.files.storage import Sink

T = TypeVar("T")
# Storage writes (a disk write, an S3 part) happen off the event loop, one block at a time.
BLOCK_BYTES = 1024 * 1024


async def stream_to(request: Request, sink: Sink[T], limit: int) -> T:
    """Copy the body into `sink`, refusing more than `limit` bytes with 413; a failed upload leaves nothing."""
    declared = request.headers.get("content-length", "")
    try:
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        size, block = 0, bytearray()
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            block += chunk
            if len(block) >= BLOCK_BYTES:
                await run_in_threadpool(sink.write, bytes(block))
                block.clear()
        if block:
            await run_in_threadpool(sink.write, bytes(block))
        return await run_in_threadpool(sink.close)
    except BaseException as exc:
        await run_in_threadpool(sink.abort)
        if isinstance(exc, ClientDisconnect):
            raise fail(499, "Client disconnected", "client_cancelled") from None
        if isinstance(exc, StorageError) and "too large" in str(exc):
            raise _too_large(limit) from None
        raise


def _too_large(limit: int) -> Exception:
    return fail(413, f"Upload larger than {limit} bytes", "file_too_large")
