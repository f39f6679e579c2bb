"""ltxserve: LTX-2.3 behind the fal.ai model API."""

__version__ = "0.1.0"
