"""ltxserve.api."""
