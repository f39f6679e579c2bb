"""ltxserve.safety."""
