"""Prometheus metrics: request latencies measured here, job counts read from the store at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from ltxserve.jobs.queue import JobQueue


class _StoreCollector(Collector):
    """Jobs by state, queue length, denoising steps and workers, straight from the shared store."""

    def __init__(self, store: JobQueue) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
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
        depth = GaugeMetricFamily(
            "ltxserve_queue_depth", "Jobs waiting for a worker, per endpoint", labels=["endpoint"]
        )
        for endpoint, count in stats["queued_by_endpoint"].items():
            depth.add_metric([endpoint], count)
        yield depth
        yield CounterMetricFamily(
            "ltxserve_denoise_steps", "Denoising steps done (rate() = step rate)", value=stats["steps"]
        )
        workers = GaugeMetricFamily("ltxserve_workers", "Workers by state", labels=["state"])
        per_host = GaugeMetricFamily(
            "ltxserve_host_workers", "Workers per host and state", labels=["host", "state"]
        )
        counts: dict[str, int] = {}
        host_counts: dict[tuple[str, str], int] = {}
        for worker in self.store.workers():
            counts[worker["state"]] = counts.get(worker["state"], 0) + 1
            key = (worker.get("host") or "", worker["state"])
            host_counts[key] = host_counts.get(key, 0) + 1
        for state, count in counts.items():
            workers.add_metric([state], count)
        for (host, state), count in host_counts.items():
            per_host.add_metric([host, state], count)
        yield workers
        yield per_host


class ApiMetrics:
    """The app's own registry, so several apps (tests) never share global metrics."""

    def __init__(self, store: JobQueue) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "ltxserve_http_request_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.registry.register(_StoreCollector(store))

    def render(self) -> bytes:
        return generate_latest(self.registry)
