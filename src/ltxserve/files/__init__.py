"""ltxserve.files."""
