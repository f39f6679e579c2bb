"""Lightricks' fp8 checkpoint layout (`LTX-2.3-fp8`), read and written.

The layout, as ltx-core 1.0.0 reads it (`quantization/fp8_scaled_mm.py`, `loader/fuse_loras.py`): the
linear layers of the transformer blocks — attention `to_q`, `to_k`, `to_v`, `to_out.0` and the feed-forward
`ff.net.0.proj`, `ff.net.2` with their `audio_` twins — store `weight` as float8 e4m3 in the usual
(out, in) layout, next to a float32 scalar `weight_scale` (the real weight is weight · weight_scale) and a
float32 scalar `input_scale` (for fp8 matmuls with static activation scales, which we do not use). Block 0,
the last five blocks and every layer outside the blocks stay bf16. A "cast" variant without scales (plain
e4m3 weights and biases) is read too.

We dequantise at load (weight · scale in float32, then the run dtype); the profiles that store weights in fp8
cast them back with diffusers' layerwise casting (engine/memory/placement.py), so LoRAs, fusing and offloading see
one kind of weight whatever file it came from.
"""

from __future__ import annotations

import torch

FP8_DTYPES = (torch.float8_e4m3fn, torch.float8_e5m2)
SCALE_SUFFIXES = (".weight_scale", ".input_scale")
# Layers the reference quantises, and the blocks it keeps in bf16 (of 48; the same names in smaller models).
QUANTISED_LAYERS = (".to_q.", ".to_k.", ".to_v.", ".to_out.0.", ".ff.net.0.proj.", ".ff.net.2.")
KEPT_BLOCKS = ("transformer_blocks.0.", *(f"transformer_blocks.{i}." for i in range(43, 48)))
E4M3_MAX = torch.finfo(torch.float8_e4m3fn).max


def is_quantised_layer(key: str) -> bool:
    """Whether the reference stores this official transformer key's weight in fp8."""
    inner = key.removeprefix("model.diffusion_model.")
    return (
        inner.startswith("transformer_blocks.")
        and not inner.startswith(KEPT_BLOCKS)
        and any(part in inner for part in QUANTISED_LAYERS)
        and inner.endswith(".weight")
    )


def dequantise(tensors: dict[str, torch.Tensor], dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """fp8 weights (with their scales when present) → `dtype`; scale keys are consumed."""
    out = {}
    for key, tensor in tensors.items():
        if key.endswith(SCALE_SUFFIXES):
            continue
        if tensor.dtype in FP8_DTYPES:
            scale = (
                tensors.get(key.removesuffix(".weight") + ".weight_scale")
                if key.endswith(".weight")
                else None
            )
            value = tensor.float() * scale.float() if scale is not None else tensor.float()
            tensor = value.to(dtype)
        elif tensor.is_floating_point():
            tensor = tensor.to(dtype)
        out[key] = tensor
    return out


def quantise_checkpoint(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The official scaled-fp8 layout of a bf16 checkpoint (per-tensor scale = max|w| / 448)."""
    out = {}
    for key, tensor in tensors.items():
        if not is_quantised_layer(key):
            out[key] = tensor
            continue
        weight = tensor.float()
        scale = weight.abs().max().clamp(min=1e-12) / E4M3_MAX
        out[key] = (weight / scale).clamp(-E4M3_MAX, E4M3_MAX).to(torch.float8_e4m3fn)
        stem = key.removesuffix(".weight")
        out[stem + ".weight_scale"] = scale.reshape(())
        out[stem + ".input_scale"] = torch.ones(())
    return out
