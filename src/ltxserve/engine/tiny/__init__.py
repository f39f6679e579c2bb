"""The tiny-model writer: random-weight LTX-2.3 folders in the official layout, for tests and offline runs."""
