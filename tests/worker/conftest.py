"""Crash and restart tests reuse the live-server helpers of the client tests."""

from __future__ import annotations

import sys
from pathlib import Path

# `live_server` lives with the client tests; these tests start the same processes.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "clients"))
