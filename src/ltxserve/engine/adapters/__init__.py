"""LoRAs: reading their formats, fusing into (and restoring) the base weights, and one request's adapter set."""
