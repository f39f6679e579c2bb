"""Official LTX-2.3 key names ↔ diffusers module key names, one pair of pure functions per component.

The forward direction (official → diffusers) is what the loader uses; the inverse is what the tiny
writer uses to emit the official layout from diffusers modules. Facts behind every rule are in
`shared/spec/ltx-2.3-model.md` ("Building on diffusers: measured facts").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ltxserve.engine.loading.checkpoint import (
    AUDIO_CONNECTOR_PREFIX,
    AUDIO_VAE_PREFIX,
    TEXT_PROJECTION_PREFIX,
    TRANSFORMER_PREFIX,
    VIDEO_CONNECTOR_PREFIX,
    VIDEO_VAE_PREFIX,
    VOCODER_PREFIX,
)

if TYPE_CHECKING:
    import torch

# --- transformer -------------------------------------------------------------------------------

# Inverse of diffusers' `convert_ltx2_transformer_to_diffusers` renames (applied per dotted segment).
_TRANSFORMER_SEGMENTS_TO_OFFICIAL = {
    "proj_in": "patchify_proj",
    "audio_proj_in": "audio_patchify_proj",
    "time_embed": "adaln_single",
    "audio_time_embed": "audio_adaln_single",
    "prompt_adaln": "prompt_adaln_single",
    "audio_prompt_adaln": "audio_prompt_adaln_single",
    "av_cross_attn_video_scale_shift": "av_ca_video_scale_shift_adaln_single",
    "av_cross_attn_video_a2v_gate": "av_ca_a2v_gate_adaln_single",
    "av_cross_attn_audio_scale_shift": "av_ca_audio_scale_shift_adaln_single",
    "av_cross_attn_audio_v2a_gate": "av_ca_v2a_gate_adaln_single",
    "video_a2v_cross_attn_scale_shift_table": "scale_shift_table_a2v_ca_video",
    "audio_a2v_cross_attn_scale_shift_table": "scale_shift_table_a2v_ca_audio",
    "norm_q": "q_norm",
    "norm_k": "k_norm",
}


def is_connector_key(key: str) -> bool:
    """Connector keys sit under the transformer prefix but are loaded into the text connectors."""
    return key.startswith((VIDEO_CONNECTOR_PREFIX, AUDIO_CONNECTOR_PREFIX))


def transformer_to_diffusers(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Official transformer tensors → `LTX2VideoTransformer3DModel` keys (consumes `state_dict`)."""
    from diffusers.loaders.single_file_utils import convert_ltx2_transformer_to_diffusers

    converted = convert_ltx2_transformer_to_diffusers(state_dict)
    # diffusers 0.42 leaves the 2.3 prompt modulation under its official name.
    return {
        re.sub(r"^(audio_)?prompt_adaln_single\.", r"\1prompt_adaln.", k): v for k, v in converted.items()
    }


def transformer_key_to_official(key: str) -> str:
    """diffusers transformer key → official single-file key."""
    segments = [_TRANSFORMER_SEGMENTS_TO_OFFICIAL.get(s, s) for s in key.split(".")]
    return TRANSFORMER_PREFIX + ".".join(segments)


# --- video VAE -----------------------------------------------------------------------------------

DOWNSAMPLE_TYPES = {
    "compress_all": "conv",  # plain strided causal conv, channels kept
    "compress_space_res": "spatial",
    "compress_time_res": "temporal",
    "compress_all_res": "spatiotemporal",
}
UPSAMPLE_TYPES = {"compress_all": "spatiotemporal", "compress_space": "spatial", "compress_time": "temporal"}


@dataclass(frozen=True)
class VaeBlockPlan:
    """Where each official `{encoder,decoder}.{down,up}_blocks.{i}` lives in the diffusers VAE."""

    encoder: tuple[str, ...]  # e.g. ("down_blocks.0", "down_blocks.0.downsamplers.0", ..., "mid_block")
    decoder: tuple[str, ...]  # e.g. ("mid_block", "up_blocks.0.upsamplers.0", "up_blocks.0", ...)


def block_params(params: int | dict[str, Any]) -> dict[str, Any]:
    """The reference accepts `["res_x", 2]` as shorthand for `["res_x", {"num_layers": 2}]`."""
    return {"num_layers": params} if isinstance(params, int) else dict(params)


def encoder_block_plan(encoder_blocks: list[Any]) -> tuple[str, ...]:
    """Generic rule: `res_x` → resnets of the current down block, or `mid_block` when no compress block follows."""
    names = [name for name, _ in encoder_blocks]
    plan, down = [], 0
    for i, name in enumerate(names):
        if name == "res_x":
            has_compress_after = any(n in DOWNSAMPLE_TYPES for n in names[i + 1 :])
            plan.append(f"down_blocks.{down}" if has_compress_after else "mid_block")
        elif name in DOWNSAMPLE_TYPES:
            plan.append(f"down_blocks.{down}.downsamplers.0")
            down += 1
        else:
            raise NotImplementedError(f"video VAE encoder block {name!r} has no diffusers equivalent")
    return tuple(plan)


def decoder_block_plan(decoder_blocks: list[Any]) -> tuple[str, ...]:
    """Mirror rule on the reversed list (the reference builds the decoder from `reversed(decoder_blocks)`)."""
    plan, up = [], -1
    for name, _ in reversed(decoder_blocks):
        if name == "res_x":
            plan.append("mid_block" if up < 0 else f"up_blocks.{up}")
        elif name in UPSAMPLE_TYPES:
            up += 1
            plan.append(f"up_blocks.{up}.upsamplers.0")
        else:
            raise NotImplementedError(f"video VAE decoder block {name!r} has no diffusers equivalent")
    return tuple(plan)


def vae_block_plan(vae_config: dict[str, Any]) -> VaeBlockPlan:
    """Both block plans of a video VAE metadata section."""
    return VaeBlockPlan(
        encoder=encoder_block_plan(vae_config.get("encoder_blocks", [])),
        decoder=decoder_block_plan(vae_config.get("decoder_blocks", [])),
    )


_VAE_STATS = {"mean-of-means": "latents_mean", "std-of-means": "latents_std"}
_VAE_BLOCK = re.compile(r"^(encoder\.down_blocks|decoder\.up_blocks)\.(\d+)\.(.*)$")


def video_vae_key_to_diffusers(key: str, plan: VaeBlockPlan) -> str | None:
    """Official `vae.*` key → `AutoencoderKLLTX2Video` key; None for statistics diffusers does not keep."""
    key = key.removeprefix(VIDEO_VAE_PREFIX)
    if key.startswith("per_channel_statistics."):
        return _VAE_STATS.get(key.removeprefix("per_channel_statistics."))
    match = _VAE_BLOCK.match(key)
    if match is None:
        return key
    side, index, rest = match.groups()
    part = "encoder" if side.startswith("encoder") else "decoder"
    target = (plan.encoder if part == "encoder" else plan.decoder)[int(index)]
    return f"{part}.{target}.{rest.replace('res_blocks.', 'resnets.')}"


def video_vae_key_to_official(key: str, plan: VaeBlockPlan) -> str:
    """`AutoencoderKLLTX2Video` key → official `vae.*` key (inverse of the block plan)."""
    inverse_stats = {v: k for k, v in _VAE_STATS.items()}
    if key in inverse_stats:
        return f"{VIDEO_VAE_PREFIX}per_channel_statistics.{inverse_stats[key]}"
    part, _, rest = key.partition(".")
    official_blocks = "down_blocks" if part == "encoder" else "up_blocks"
    targets = plan.encoder if part == "encoder" else plan.decoder
    # Longest prefix first: "down_blocks.0.downsamplers.0" must win over "down_blocks.0".
    for index, target in sorted(enumerate(targets), key=lambda item: -len(item[1])):
        if rest.startswith(target + "."):
            tail = rest.removeprefix(target + ".").replace("resnets.", "res_blocks.")
            return f"{VIDEO_VAE_PREFIX}{part}.{official_blocks}.{index}.{tail}"
    return VIDEO_VAE_PREFIX + key


def video_vae_to_diffusers(
    state_dict: dict[str, torch.Tensor], plan: VaeBlockPlan
) -> dict[str, torch.Tensor]:
    """Official video VAE tensors → diffusers keys, dropping statistics diffusers has no buffer for."""
    converted = {}
    for key, value in state_dict.items():
        new_key = video_vae_key_to_diffusers(key, plan)
        if new_key is not None:
            converted[new_key] = value
    return converted


# --- audio VAE -----------------------------------------------------------------------------------


def audio_vae_to_diffusers(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Official `audio_vae.*` tensors → `AutoencoderKLLTX2Audio` keys (diffusers' converter, unchanged)."""
    from diffusers.loaders.single_file_utils import convert_ltx2_audio_vae_to_diffusers

    return convert_ltx2_audio_vae_to_diffusers(state_dict)


def audio_vae_key_to_official(key: str) -> str:
    """`AutoencoderKLLTX2Audio` key → official `audio_vae.*` key."""
    inverse_stats = {v: k for k, v in _VAE_STATS.items()}
    if key in inverse_stats:
        return f"{AUDIO_VAE_PREFIX}per_channel_statistics.{inverse_stats[key]}"
    return AUDIO_VAE_PREFIX + key


# --- vocoder -------------------------------------------------------------------------------------

_VOCODER_SEGMENTS = {
    "conv_pre": "conv_in",
    "ups": "upsamplers",
    "resblocks": "resnets",
    "act_post": "act_out",
    "conv_post": "conv_out",
}


def vocoder_key_to_diffusers(key: str) -> str:
    """Official `vocoder.*` key → `LTX2VocoderWithBWE` key (strip `vocoder.` once, rename segments)."""
    key = key.removeprefix(VOCODER_PREFIX).replace("downsample.lowpass.filter", "downsample.filter")
    return ".".join(_VOCODER_SEGMENTS.get(s, s) for s in key.split("."))


def vocoder_key_to_official(key: str) -> str:
    """`LTX2VocoderWithBWE` key → official `vocoder.*` key."""
    inverse = {v: k for k, v in _VOCODER_SEGMENTS.items()}
    key = ".".join(inverse.get(s, s) for s in key.split("."))
    return VOCODER_PREFIX + key.replace("downsample.filter", "downsample.lowpass.filter")


# --- text projection and connectors --------------------------------------------------------------

_CONNECTOR_PREFIXES = {
    TEXT_PROJECTION_PREFIX + "video_aggregate_embed.": "video_text_proj_in.",
    TEXT_PROJECTION_PREFIX + "audio_aggregate_embed.": "audio_text_proj_in.",
    VIDEO_CONNECTOR_PREFIX: "video_connector.",
    AUDIO_CONNECTOR_PREFIX: "audio_connector.",
}
_CONNECTOR_SEGMENTS = {"transformer_1d_blocks": "transformer_blocks", "q_norm": "norm_q", "k_norm": "norm_k"}


def connector_key_to_diffusers(key: str) -> str:
    """Official text projection / connector key → `LTX2TextConnectors` key."""
    for official, ours in _CONNECTOR_PREFIXES.items():
        if key.startswith(official):
            rest = key.removeprefix(official)
            return ours + ".".join(_CONNECTOR_SEGMENTS.get(s, s) for s in rest.split("."))
    raise KeyError(f"not a text projection or connector key: {key}")


def connector_key_to_official(key: str) -> str:
    """`LTX2TextConnectors` key → official text projection / connector key."""
    inverse_segments = {v: k for k, v in _CONNECTOR_SEGMENTS.items()}
    for official, ours in _CONNECTOR_PREFIXES.items():
        if key.startswith(ours):
            rest = key.removeprefix(ours)
            return official + ".".join(inverse_segments.get(s, s) for s in rest.split("."))
    raise KeyError(f"not an LTX2TextConnectors key: {key}")


# --- Gemma (original multimodal layout ↔ transformers 5) ----------------------------------------

_GEMMA_PREFIXES = {
    "language_model.model.": "model.language_model.",
    "vision_tower.vision_model.": "model.vision_tower.",
    "multi_modal_projector.": "model.multi_modal_projector.",
}


def gemma_key_to_original(key: str) -> str | None:
    """transformers-5 `Gemma3ForConditionalGeneration` key → original Gemma-3 layout; None for the tied lm_head."""
    if key == "lm_head.weight":
        return None
    for original, ours in _GEMMA_PREFIXES.items():
        if key.startswith(ours):
            return original + key.removeprefix(ours)
    raise KeyError(f"unexpected Gemma key: {key}")
