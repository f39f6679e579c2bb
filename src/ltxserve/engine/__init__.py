"""The model: loading, text encoding, LoRAs, schedules, guidance, the denoise loop, decoding.

Importing this package must stay cheap (no torch at import time): `engine.request` is used by
processes that never load the model.
"""
