"""The playground's load in headless Chromium: time from navigation to an interactive form, and page weight.

Starts `ltxserve api` (no worker needed) on loopback, opens each endpoint's playground in a fresh browser
profile (cold cache) and again with the cache warm, and prints the median over `--runs` of: the time until
the form is built from the endpoint's schema (`performance.mark("ltxserve:form-ready")`), DOMContentLoaded,
and the bytes transferred (HTML, CSS, JS modules and the JSON the page reads: catalogue, OpenAPI, history).

    python benchmarks/bench_playground.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Browser, sync_playwright

from ltxserve.endpoints import ENDPOINTS

KEY = "bench-playground-key-0123456789"
MEASURE = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  const all = [nav, ...resources];
  return {
    ready_ms: performance.getEntriesByName("ltxserve:form-ready")[0].startTime,
    dom_ms: nav.domContentLoadedEventEnd,
    transfer_kb: all.reduce((n, e) => n + (e.transferSize || 0), 0) / 1024,
    body_kb: all.reduce((n, e) => n + (e.decodedBodySize || 0), 0) / 1024,
    requests: all.length,
  };
}"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_api(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    env = {**os.environ, "LTXSERVE_API_KEYS": KEY}
    cmd = [sys.executable, "-m", "ltxserve.serving", "api", "--port", str(port), "--data-dir", str(data_dir)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        assert proc.poll() is None, "server exited"
        try:
            httpx.get(f"{base}/health", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def _load(browser: Browser, url: str, runs: int) -> tuple[dict[str, float], dict[str, float]]:
    """Median figures over `runs` cold loads (fresh profile) and `runs` warm reloads (cached)."""
    cold, warm = [], []
    for _ in range(runs):
        context = browser.new_context()
        context.add_init_script(f"localStorage.setItem('ltxserve.apiKey', {KEY!r})")
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("body[data-ready]")
        cold.append(page.evaluate(MEASURE))
        page.reload()
        page.wait_for_selector("body[data-ready]")
        warm.append(page.evaluate(MEASURE))
        context.close()
    median = lambda rows: {k: statistics.median(r[k] for r in rows) for k in rows[0]}  # noqa: E731
    return median(cold), median(warm)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = _start_api(Path(tmp))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=shutil.which("chromium") or "/usr/bin/chromium"
                )
                print(
                    f"{'page':46} {'cache':5} {'form ready ms':>13} {'DOM ms':>7} {'transfer KB':>11} {'body KB':>8} {'requests':>8}"
                )
                for endpoint_id in sorted(ENDPOINTS):
                    for cache, row in zip(
                        ("cold", "warm"),
                        _load(browser, f"{base}/playground/{endpoint_id}", args.runs),
                        strict=True,
                    ):
                        print(
                            f"{endpoint_id:46} {cache:5} {row['ready_ms']:13.0f} {row['dom_ms']:7.0f}"
                            f" {row['transfer_kb']:11.1f} {row['body_kb']:8.1f} {row['requests']:8.0f}"
                        )
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=15)


if __name__ == "__main__":
    main()
