"""The memory model: predicted peak device memory of each stage of a request under a placement profile.

Pure: it needs a checkpoint's metadata config (parameter counts come from the diffusers modules built on
the meta device, no weights) and a request's shape. Activation terms are counted in elements per token or
per pixel; their coefficients were measured with `engine.memory.probe` on the tiny model and on a model
with the real widths (tests/engine/memory/test_memory.py checks both), see docs/memory.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ltxserve.engine.geometry import LatentChannels, LatentGeometry, LatentScales
from ltxserve.engine.memory.profiles import PROFILES, Placement, placement_for

GIB = 1024**3
# Bytes per element of each storage or compute dtype name.
DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2, "float8": 1}

# Live activation elements of one transformer forward per (pass × token × stream width): per-token AdaLN
# modulations, RoPE tables, q/k/v, the 4× feed-forward (measured 35.5 at widths 32 and 4096).
TRANSFORMER_ACTIVATION = 36.0
# Text-context elements per (pass × text token × width): the cross-attention keys and values.
CONTEXT_ACTIVATION = 1.0
# Convolutions allocate scratch beyond the tensors a meta trace sees (padding copies, layout reorders):
# measured 1.5–1.7× on the CPU for the tiny and the real video VAE; the larger ratio is used everywhere.
CONV_WORKSPACE = 1.7
# The same for the 1-D convolutions of the audio decoder and vocoder (measured 1.07 real, 1.28 tiny).
AUDIO_WORKSPACE = 1.3
UPSAMPLE_LATENT_COPIES = 6
# Tiles of the tiled video decode, in latents (engine/generation/tiling.py): 16 = 512 px, chunks of 8 = 57 frames.
TILE_LATENTS = 16
CHUNK_LATENTS = 8
# Kept free beyond the predicted peak: the CUDA context and allocator slack (fixed) and the model's own error
# (a share of the device); `MemoryEstimate.fits` and so `choose_profile` honour both.
DEVICE_RESERVE_BYTES = int(1.5 * GIB)
DEVICE_MARGIN = 0.05


@dataclass(frozen=True)
class PartSizes:
    """Parameter counts of each part, and the widths the activation terms need."""

    transformer: int
    transformer_block: int  # one of the `num_layers` identical blocks
    num_blocks: int
    largest_linear: int  # the biggest single weight matrix (layerwise casting upcasts one at a time)
    connectors: int
    video_vae: int
    audio_vae: int
    vocoder: int
    upsampler: int
    text_encoder: int
    video_width: int
    audio_width: int
    video_channels: int
    # The latent geometry's factors, from the same config (engine/geometry.py; flat, for /health's JSON).
    audio_channels: int
    audio_mel_bins: int  # latent mel bins (after the audio VAE)
    video_temporal_scale: int
    video_spatial_scale: int
    audio_latents_per_second: float
    text_hidden: int
    text_layers: int
    text_intermediate: int
    text_kv_width: int  # key/value heads × head dim of the text encoder
    # Activation elements of the decoders, traced on the meta device (memory/sizes.py: traced_activations).
    video_decode_per_pixel: float  # per output frame pixel
    upsample_per_voxel: float  # per input latent voxel
    audio_decode_per_second: float  # audio VAE + vocoder + bandwidth extension
    adapted_params_per_rank: int  # Σ (in + out) of every block linear: a LoRA of rank r has r × this
    distilled_lora: int = 0  # the distilled LoRA file's parameters (0: none in the folder)

    @property
    def decoders(self) -> int:
        return self.video_vae + self.audio_vae + self.vocoder + self.upsampler

    @property
    def scales(self) -> LatentScales:
        return LatentScales(
            self.video_temporal_scale, self.video_spatial_scale, self.audio_latents_per_second
        )

    @property
    def channels(self) -> LatentChannels:
        return LatentChannels(self.video_channels, self.audio_channels, self.audio_mel_bins)


@dataclass(frozen=True)
class RequestShape:
    """What the memory of a request depends on (derived from an `EngineRequest` or an endpoint's input)."""

    width: int
    height: int
    num_frames: int
    fps: float = 24.0
    video: bool = True
    audio: bool = True
    two_stage: bool = False
    passes: int = 1  # guidance passes batched into each stage-1 forward (cond, negative, perturbed, isolated)
    lora_params: int = 0  # parameters of the request's own LoRAs (A and B factors)
    distilled_lora: bool = False
    expansion: bool = False
    text_tokens: int = 1024
    expansion_tokens: int = 512

    @property
    def seconds(self) -> float:
        return self.num_frames / self.fps

    def geometry(self, sizes: PartSizes) -> LatentGeometry:
        """The latent grids this shape runs at (the pipeline's own `LatentGeometry`; no pixels: no video)."""
        width, height = (self.width, self.height) if self.video else (0, 0)
        return LatentGeometry.build(
            width, height, self.num_frames, self.fps, self.two_stage, sizes.channels, sizes.scales
        )


@dataclass(frozen=True)
class MemoryEstimate:
    """Predicted peak device bytes per stage under one profile; `peak` is their maximum."""

    profile: str
    stages: dict[str, int]
    resident: int  # weights on the device between requests
    placement: Placement = field(repr=False)

    @property
    def peak(self) -> int:
        return max(self.stages.values())

    def fits(self, budget_bytes: int) -> bool:
        return self.peak <= usable_bytes(budget_bytes)

    def to_json(self, budget_bytes: int | None = None) -> dict[str, Any]:
        """The `models fit` view: GiB rounded to 0.01."""
        out: dict[str, Any] = {
            "profile": self.profile,
            "peak_gib": round(self.peak / GIB, 2),
            "resident_gib": round(self.resident / GIB, 2),
            "stages": {name: round(value / GIB, 2) for name, value in self.stages.items()},
            "placement": self.placement.describe(),
        }
        if budget_bytes is not None:
            out["fits"] = self.fits(budget_bytes)
        return out


def usable_bytes(budget_bytes: int) -> int:
    """What a memory plan may use of a device with `budget_bytes` (free memory, or total for `models fit`)."""
    return int(budget_bytes * (1 - DEVICE_MARGIN)) - DEVICE_RESERVE_BYTES


# --- activations ---------------------------------------------------------------------------------


def transformer_activation(
    sizes: PartSizes, passes: int, vtokens: int, atokens: int, nbytes: int, context: int = 1024
) -> int:
    """One batched transformer forward over `passes` samples; `context` text tokens per sample (their keys
    and values in both cross-attentions)."""
    per_pass = vtokens * sizes.video_width + atokens * sizes.audio_width
    contexts = CONTEXT_ACTIVATION * context * (sizes.video_width + sizes.audio_width)
    return int((TRANSFORMER_ACTIVATION * per_pass + contexts) * passes * nbytes)


def text_activation(sizes: PartSizes, shape: RequestShape, nbytes: int) -> int:
    """Gemma's hidden states of every layer (kept for the connectors) twice (list + stacked), one layer's
    working set, and the connectors' forward."""
    s = shape.text_tokens
    states = 2 * (sizes.text_layers + 1) * s * sizes.text_hidden
    layer = s * (3 * sizes.text_intermediate + 8 * sizes.text_hidden)
    connectors = int(TRANSFORMER_ACTIVATION * s * (sizes.video_width + sizes.audio_width))
    return (states + layer + connectors) * nbytes


def expansion_activation(sizes: PartSizes, shape: RequestShape, nbytes: int) -> int:
    """Prompt expansion: the key/value cache over prompt + new tokens, and one layer's working set."""
    tokens = shape.text_tokens + shape.expansion_tokens
    cache = 2 * sizes.text_layers * sizes.text_kv_width * tokens
    return (cache + shape.text_tokens * (3 * sizes.text_intermediate + 8 * sizes.text_hidden)) * nbytes


def video_decode_activation(sizes: PartSizes, shape: RequestShape, tiled: bool, nbytes: int) -> int:
    """Decoder working set over the whole video, or over one tile plus the decoded time chunk it joins."""
    per_pixel = sizes.video_decode_per_pixel * CONV_WORKSPACE
    if not tiled:
        return int(per_pixel * shape.num_frames * shape.width * shape.height * nbytes)
    scales = sizes.scales
    frames = min(shape.num_frames, scales.temporal * (CHUNK_LATENTS - 1) + 1)
    tile_side = scales.spatial * TILE_LATENTS
    tile = frames * min(tile_side, shape.height) * min(tile_side, shape.width)
    # Float32 canvases of one chunk: the blended tiles and the frames waiting for the next chunk's overlap.
    canvases = 2 * 3 * frames * shape.height * shape.width * 4
    return int(per_pixel * tile * nbytes + canvases)


def upsample_activation(sizes: PartSizes, shape: RequestShape, nbytes: int) -> int:
    """The ×2 upsampler over the stage-1 latent (half width and height), plus the float32 copies of the
    output latent that un-normalising and re-normalising make (engine/generation/upsample.py)."""
    voxels = replace(shape, two_stage=True).geometry(sizes).first_stage.shape.tokens
    copies = UPSAMPLE_LATENT_COPIES * sizes.video_channels * 4 * voxels * 4
    return int(sizes.upsample_per_voxel * CONV_WORKSPACE * voxels * nbytes + copies)


def audio_decode_activation(sizes: PartSizes, shape: RequestShape, nbytes: int) -> int:
    return int(sizes.audio_decode_per_second * AUDIO_WORKSPACE * shape.seconds * nbytes)


# --- placement → per-stage peaks -----------------------------------------------------------------


def lora_params(sizes: PartSizes, shape: RequestShape) -> int:
    """Factor parameters of the request's LoRAs, the distilled one included."""
    return shape.lora_params + (sizes.distilled_lora if shape.distilled_lora else 0)


def transformer_on_device(sizes: PartSizes, placement: Placement, compute_bytes: int) -> int:
    """Transformer bytes on the device while it runs: all of it, or the streamed window of blocks."""
    storage = DTYPE_BYTES[placement.transformer_storage]
    if placement.transformer_streamed:
        outside = sizes.transformer - sizes.num_blocks * sizes.transformer_block
        held = outside + placement.streamed_blocks * sizes.transformer_block
    else:
        held = sizes.transformer
    upcast = sizes.largest_linear * compute_bytes if storage < compute_bytes else 0
    return held * storage + upcast


def predict_peaks(
    sizes: PartSizes, shape: RequestShape, profile: str, compute_bytes: int = 2
) -> MemoryEstimate:
    """Peak device bytes of every stage the request runs, under `profile`."""
    placement = placement_for(profile)
    b = compute_bytes
    text_params = sizes.text_encoder * DTYPE_BYTES[placement.text_storage] + sizes.connectors * b
    transformer = transformer_on_device(sizes, placement, b)
    decoders = sizes.decoders * b
    lora = lora_params(sizes, shape) * b
    # LoRA factors: cached on the device (resident), or on the host with a one-layer fuse working set.
    lora_device = lora if placement.loras_on_device else min(lora, sizes.largest_linear * 4 * 2)
    text_home = text_params if placement.text_on_device else 0
    resident = decoders + transformer * (not placement.transformer_streamed) + text_home
    denoise = decoders + transformer + text_home + lora_device
    text_phase = decoders + text_params + (0 if placement.transformer_leaves_for_text else transformer)
    stages: dict[str, int] = {"text": text_phase + text_activation(sizes, shape, b)}
    if shape.expansion:
        stages["expand"] = text_phase + expansion_activation(sizes, shape, b)
    geometry = shape.geometry(sizes)
    vt, at = geometry.video.shape.tokens, geometry.audio.frames
    if geometry.two_stage:
        small = geometry.first_stage.shape.tokens
        stages["stage1"] = denoise + transformer_activation(sizes, shape.passes, small, at, b)
        stages["upsample"] = denoise - lora_device + upsample_activation(sizes, shape, b)
        stages["refine"] = denoise + transformer_activation(sizes, 1, vt, at, b)
    else:
        stages["stage1"] = denoise + transformer_activation(sizes, shape.passes, vt, at, b)
    after = denoise - lora_device - (transformer if placement.transformer_streamed else 0)
    if shape.video:
        tiled = placement.tiled_decode
        stages["decode_video"] = after + video_decode_activation(sizes, shape, tiled, b)
    if shape.audio:
        stages["decode_audio"] = after + audio_decode_activation(sizes, shape, b)
    return MemoryEstimate(profile, stages, resident, placement)


def choose_profile(
    sizes: PartSizes, shape: RequestShape, free_bytes: int, compute_bytes: int = 2
) -> MemoryEstimate | None:
    """The fastest profile whose predicted peak fits `free_bytes` (None when even `minimal` does not)."""
    for profile in PROFILES:
        estimate = predict_peaks(sizes, shape, profile, compute_bytes)
        if estimate.fits(free_bytes):
            return estimate
    return None
