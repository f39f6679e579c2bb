"""ltxserve.worker."""
