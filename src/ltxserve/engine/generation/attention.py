"""Which attention kernel the transformer runs (`LTXSERVE_ATTENTION`), through diffusers' backend dispatch.

Every LTX-2 attention processor calls `diffusers.models.attention_dispatch.dispatch_attention_fn` with its
own `_attention_backend`; we set that attribute per processor (through the engine's STG/isolation
wrappers, which forward it to the processor they wrap). Kernels without mask support (FlashAttention 2/3,
SageAttention) are used where no mask is passed — video/audio self-attention and the audio↔video
cross-attention, which hold all but a sliver of the FLOPs — while the text cross-attention, whose padded
prompt needs a mask, stays on PyTorch's SDPA. docs/performance.md lists the packages each needs.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Literal, get_args

import torch

if TYPE_CHECKING:
    from diffusers.models.transformers.transformer_ltx2 import LTX2VideoTransformer3DModel

AttentionChoice = Literal["auto", "sdpa", "flash", "flash3", "cudnn", "sage"]
CHOICES: tuple[str, ...] = get_args(AttentionChoice)
# Our names → diffusers' AttentionBackendName values.
DIFFUSERS_NAME = {
    "sdpa": "native",
    "flash": "flash",
    "flash3": "_flash_3",
    "cudnn": "_native_cudnn",
    "sage": "sage",
}
MASKLESS = {"flash", "flash3", "sage"}  # kernels that refuse an attention mask
# What each backend needs besides PyTorch (shown in errors and in docs/performance.md).
NEEDS = {
    "sdpa": "nothing (PyTorch's scaled_dot_product_attention)",
    "flash": "the flash-attn package (FlashAttention 2) and a CUDA GPU, bf16/fp16",
    "flash3": "FlashAttention 3 (`flash_attn_interface`, built from flash-attn's hopper/ folder) on Hopper",
    "cudnn": "a CUDA GPU (sm80+) and PyTorch's cuDNN ≥ 9 attention",
    "sage": "the sageattention package and a CUDA GPU, bf16/fp16",
}
_MODULE = {"flash": "flash_attn", "flash3": "flash_attn_interface", "sage": "sageattention"}
# The masked attention of each block: text cross-attention (video and audio).
_MASKED = ("attn2", "audio_attn2")


class AttentionUnavailable(RuntimeError):
    """The chosen attention backend cannot run here (package or device missing)."""


def missing(name: str, device: torch.device) -> str | None:
    """Why backend `name` cannot run on `device`, or None when it can."""
    if name == "sdpa":
        return None
    if device.type != "cuda":
        return f"needs a CUDA device, not {device.type}"
    if name == "cudnn":
        if not torch.backends.cudnn.is_available() or torch.cuda.get_device_capability(device) < (8, 0):
            return "needs cuDNN and an sm80+ GPU"
        return None
    if name == "flash3" and torch.cuda.get_device_capability(device)[0] != 9:
        return "FlashAttention 3 runs on Hopper (sm90) only"
    if importlib.util.find_spec(_MODULE[name]) is None:
        return f"the `{_MODULE[name]}` package is not installed"
    return None


def available(device: torch.device) -> list[str]:
    """Every backend that can run on `device`, fastest first (the order `auto` tries)."""
    if device.type != "cuda":
        return ["sdpa"]
    major = torch.cuda.get_device_capability(device)[0]
    # Hopper: FA3 and cuDNN's fused attention lead; elsewhere FA2 first. Sage (8-bit QK) changes outputs
    # slightly, so `auto` never picks it; it is available by name.
    order = ["flash3", "cudnn", "flash", "sdpa"] if major == 9 else ["cudnn", "flash", "sdpa"]
    if major >= 10:
        order = ["cudnn", "flash", "sdpa"]
    return [name for name in order if missing(name, device) is None]


def resolve(choice: str, device: torch.device) -> str:
    """The backend `choice` means on `device`; an explicit choice that cannot run is an error."""
    if choice not in CHOICES:
        raise AttentionUnavailable(f"unknown attention backend {choice!r}; one of {', '.join(CHOICES)}")
    if choice == "auto":
        return available(device)[0]
    reason = missing(choice, device)
    if reason is not None:
        raise AttentionUnavailable(
            f"attention backend {choice!r} cannot run: {reason} (needs {NEEDS[choice]})"
        )
    return choice


def use_attention(
    transformer: LTX2VideoTransformer3DModel, choice: str, device: torch.device | None = None
) -> str:
    """Point every attention processor of `transformer` at the chosen backend; returns its name."""
    from diffusers.models.attention import AttentionModuleMixin
    from diffusers.models.attention_dispatch import AttentionBackendName

    device = device or next(transformer.parameters()).device
    name = resolve(choice, device)
    backend = AttentionBackendName(DIFFUSERS_NAME[name])
    native = AttentionBackendName(DIFFUSERS_NAME["sdpa"])
    for block in transformer.transformer_blocks:
        for attr, module in block.named_children():
            if not isinstance(module, AttentionModuleMixin):
                continue
            masked = attr in _MASKED and name in MASKLESS
            module.set_attention_backend((native if masked else backend).value)
    return name


def backends_in_use(transformer: LTX2VideoTransformer3DModel) -> dict[str, str]:
    """Attention module name (first block) → the diffusers backend its processor dispatches to."""
    block = transformer.transformer_blocks[0]
    out = {}
    for attr, module in block.named_children():
        if hasattr(module, "processor"):
            backend = getattr(module.processor, "_attention_backend", None)
            out[attr] = backend.value if backend is not None else "default"
    return out
