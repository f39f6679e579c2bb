"""Routing by capability: which endpoints a worker claims, from its runner and the operator's filter."""

from __future__ import annotations

from fnmatch import fnmatchcase

from ltxserve.settings import Settings
from ltxserve.worker.runner import JobRunner


def served_endpoints(runner: JobRunner, settings: Settings) -> frozenset[str]:
    """The runner's own answer (`serves()`: model and memory plan), narrowed by `LTXSERVE_WORKER_ENDPOINTS`.

    A runner without `serves()` serves the whole catalogue. Patterns are shell-style (`fal-ai/ltx-2.3-22b/*`).
    """
    from ltxserve.endpoints import ENDPOINTS

    serves = getattr(runner, "serves", None)
    ids = frozenset(serves()) if callable(serves) else frozenset(ENDPOINTS)
    patterns = settings.worker_endpoints
    if patterns:
        ids = frozenset(i for i in ids if any(fnmatchcase(i, p) for p in patterns))
    return ids
