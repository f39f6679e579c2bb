"""The four placement profiles: which part lives where (device or pinned host memory), in which dtype.

Ordered fastest first; `auto` picks the first whose predicted peak fits the device (engine/memory/peaks.py).
docs/memory.md has the table of what each one costs.
"""

from __future__ import annotations

from dataclasses import dataclass

PROFILES = ("resident", "balanced", "low", "minimal")
PROFILE_CHOICES = ("auto", *PROFILES)


@dataclass(frozen=True)
class Placement:
    """Where each part of the model lives under one profile."""

    profile: str
    # Gemma and the text connectors stay on the device between prompts (else: pinned host memory,
    # moved to the device only to encode or expand a prompt the cache does not hold).
    text_on_device: bool
    text_storage: str  # dtype Gemma's linear weights are stored in ("bfloat16" or "float8")
    transformer_storage: str  # "bfloat16", or "float8" with bf16 compute layer by layer
    # The transformer makes room for Gemma while a prompt is encoded (moved to pinned host memory).
    transformer_leaves_for_text: bool
    # Block-level group offloading: the blocks live on the host, streamed in ahead of use on a side stream.
    transformer_streamed: bool
    streamed_blocks: int  # blocks on the device at once when streamed (the running one + the prefetched one)
    # LoRA factors on the device (resident's cache; hooks when the weights are streamed), else on the host
    # and fused into the weights in place layer by layer (engine/adapters/fuse.py).
    loras_on_device: bool
    tiled_decode: bool  # the video VAE decodes in overlapping tiles and time chunks

    def describe(self) -> dict[str, str]:
        """What lives where, for logs, /health and `models fit`."""
        text = "device" if self.text_on_device else "host (pinned), device while encoding"
        transformer = "device"
        if self.transformer_streamed:
            transformer = f"host (pinned), streamed to the device {self.streamed_blocks} blocks at a time"
        elif self.transformer_leaves_for_text:
            transformer = "device, host while a prompt is encoded"
        return {
            "text_encoder": f"{text}, {self.text_storage}",
            "transformer": f"{transformer}, {self.transformer_storage} storage, bfloat16 compute",
            "loras": "device" if self.loras_on_device else "host",
            "video_decode": "tiled" if self.tiled_decode else "whole",
        }


_PLACEMENTS = {
    "resident": Placement("resident", True, "bfloat16", "bfloat16", False, False, 0, True, False),
    "balanced": Placement("balanced", False, "bfloat16", "bfloat16", False, False, 0, False, True),
    "low": Placement("low", False, "bfloat16", "float8", True, False, 0, False, True),
    "minimal": Placement("minimal", False, "float8", "float8", True, True, 2, True, True),
}


def placement_for(profile: str) -> Placement:
    if profile not in _PLACEMENTS:
        raise ValueError(f"unknown memory profile {profile!r}; expected one of {', '.join(PROFILE_CHOICES)}")
    return _PLACEMENTS[profile]
