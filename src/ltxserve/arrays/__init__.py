"""Numpy helpers the engine and media both need: waveform channels, rate and length; fitting an image."""
