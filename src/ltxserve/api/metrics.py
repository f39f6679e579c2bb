"""Prometheus metrics: request latencies measured here, job counts read from the store at scrape time."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from ltxserve.jobs.store import JobStore


class _StoreCollector:
    """Jobs by state, queue length, denoising steps and workers, straight from the shared store."""

    def __init__(self, store: JobStore) -> None:
        self.store = store

    def collect(self):  # type: ignore[no-untyped-def]
        stats = self.store.stats()
        jobs = GaugeMetricFamily(
            "ltxserve_jobs", "Jobs in the store by state and outcome", labels=["state", "outcome"]
        )
        for key, count in stats["by_state"].items():
            state, outcome = key.split(":")
            jobs.add_metric([state, outcome], count)
        yield jobs
        yield GaugeMetricFamily(
            "ltxserve_queue_length", "Jobs waiting for a worker", value=stats["queue_length"]
        )
        yield CounterMetricFamily(
            "ltxserve_denoise_steps", "Denoising steps done (rate() = step rate)", value=stats["steps"]
        )
        workers = GaugeMetricFamily("ltxserve_workers", "Workers by state", labels=["state"])
        counts: dict[str, int] = {}
        for worker in self.store.workers():
            counts[worker["state"]] = counts.get(worker["state"], 0) + 1
        for state, count in counts.items():
            workers.add_metric([state], count)
        yield workers


class ApiMetrics:
    """The app's own registry, so several apps (tests) never share global metrics."""

    def __init__(self, store: JobStore) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "ltxserve_http_request_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.registry.register(_StoreCollector(store))  # type: ignore[arg-type]

    def render(self) -> bytes:
        return generate_latest(self.registry)
