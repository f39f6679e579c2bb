"""ltxserve.media."""
