"""Tests that start real processes (API servers, workers) reuse the live-server helpers of the client tests."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "clients"))
