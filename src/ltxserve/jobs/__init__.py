"""ltxserve.jobs."""
