"""The LoRA cache: one download per URL, never a partial file, verified by hash, LRU under a budget."""

import threading
import time

import pytest

from ltxserve.files.lora_cache import LoraCache


def writer(data: bytes, calls: list, delay: float = 0.0):
    def download(dest):
        calls.append(dest)
        time.sleep(delay)
        dest.write_bytes(data)

    return download


def test_second_get_reuses_the_file(tmp_path):
    cache, calls = LoraCache(tmp_path, 10_000), []
    first = cache.get("https://x/a.safetensors", writer(b"A" * 100, calls))
    second = cache.get("https://x/a.safetensors", writer(b"B" * 100, calls))
    assert first == second
    assert first.read_bytes() == b"A" * 100
    assert len(calls) == 1


def test_concurrent_requests_download_once(tmp_path):
    cache, calls, results = LoraCache(tmp_path, 10_000), [], []
    threads = [
        threading.Thread(
            target=lambda: results.append(cache.get("https://x/b", writer(b"B" * 10, calls, 0.2)))
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(set(results)) == 1


def test_failed_download_leaves_nothing_behind(tmp_path):
    cache = LoraCache(tmp_path, 10_000)

    def broken(dest):
        dest.write_bytes(b"half")
        raise OSError("connection reset")

    with pytest.raises(OSError):
        cache.get("https://x/c", broken)
    assert not list(tmp_path.glob("*.safetensors"))
    assert not list(tmp_path.glob("*.part"))
    calls = []
    path = cache.get("https://x/c", writer(b"whole", calls))
    assert path.read_bytes() == b"whole"
    assert len(calls) == 1


def test_damaged_file_is_fetched_again(tmp_path):
    calls = []
    path = LoraCache(tmp_path, 10_000).get("https://x/d", writer(b"good bytes", calls))
    path.write_bytes(b"evil bytes")  # same size, other content
    fresh = LoraCache(tmp_path, 10_000)  # a new process hashes before first use
    assert fresh.get("https://x/d", writer(b"good bytes", calls)).read_bytes() == b"good bytes"
    assert len(calls) == 2


def test_least_recently_used_entries_are_evicted_under_the_budget(tmp_path):
    cache, calls = LoraCache(tmp_path, budget_bytes=250, grace_s=0.0), []
    a = cache.get("https://x/a", writer(b"a" * 100, calls))
    b = cache.get("https://x/b", writer(b"b" * 100, calls))
    cache.get("https://x/a", writer(b"a" * 100, calls))  # a is now the most recent
    c = cache.get("https://x/c", writer(b"c" * 100, calls))
    assert a.exists()
    assert c.exists()
    assert not b.exists()


def test_recently_used_entries_survive_eviction(tmp_path):
    cache, calls = LoraCache(tmp_path, budget_bytes=150, grace_s=3600.0), []
    a = cache.get("https://x/a", writer(b"a" * 100, calls))
    b = cache.get("https://x/b", writer(b"b" * 100, calls))
    assert a.exists()
    assert b.exists()
