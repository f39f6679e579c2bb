"""The model, in sub-packages that follow one request through it:

- `request`, `model`: the contract (plain data in and out) and the loaded modules (`ModelParts`).
- `geometry`, `guidance`: a request's latent grids (`LatentGeometry`, text-to-audio adapted at the edge)
  and its guidance passes; torch-free, shared by the pipeline and the memory model.
- `loading/`: checkpoint, key conversion, module configs, Gemma, fp8, presets, downloads.
- `tiny/`: the tiny random-weight model writer used by tests and offline runs.
- `adapters/`: LoRA formats, in-place fusing, one request's adapter set.
- `memory/`: the memory model, placement profiles and their application.
- `text/`: prompt encoding and prompt expansion on the loaded Gemma.
- `generation/`: the pipeline's outline and its parts (tokens, conditioning, schedules, sampling, the
  denoiser and its guidance-reuse wrapper, the loop, decoding).

Importing this package must stay cheap (no torch at import time): `engine.request` is used by
processes that never load the model.
"""
