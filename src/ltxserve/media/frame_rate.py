"""Frame rates as exact fractions, so timestamps never drift over a long video."""

from __future__ import annotations

from fractions import Fraction

# 23.976, 29.97, 47.952, 59.94 are how people write the NTSC rates n·1000/1001.
_NTSC_BASES = (24, 30, 48, 60, 120)


def frame_rate_fraction(fps: float | Fraction) -> Fraction:
    """23.976 → 24000/1001, 25.0 → 25, 12.5 → 25/2; refuses non-positive rates."""
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if isinstance(fps, Fraction):
        return fps
    for base in _NTSC_BASES:
        ntsc = Fraction(base * 1000, 1001)
        if abs(fps - float(ntsc)) < 0.0015:
            return ntsc
    return Fraction(fps).limit_denominator(1001)
