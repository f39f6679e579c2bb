"""Checkpoint metadata config → constructor arguments of the diffusers LTX-2 modules.

`from_single_file` ignores the checkpoint's metadata, so every argument is derived here from the
file's own `config` sections. Missing values take the defaults of Lightricks' reference
configurators (ltx-core 1.0.0), which can differ from diffusers' defaults.
"""

from __future__ import annotations

from typing import Any

from ltxserve.engine.geometry import LatentChannels, LatentScales
from ltxserve.engine.loading.convert_keys import DOWNSAMPLE_TYPES, UPSAMPLE_TYPES, block_params


def _require(config: dict[str, Any], key: str, expected: object, section: str) -> None:
    """Refuse configs our diffusers mapping does not cover (same checks as the reference)."""
    if key in config and config[key] != expected:
        raise NotImplementedError(f"{section}.{key}={config[key]!r} is not supported (expected {expected!r})")


def video_vae_scale_factors(vae: dict[str, Any]) -> tuple[int, int]:
    """(temporal, spatial) compression of the video VAE: patchify × one 2 per compress block."""
    temporal, spatial = 1, vae.get("patch_size", 4)
    for name, _ in vae.get("encoder_blocks", []):
        if name in ("compress_all", "compress_all_res", "compress_all_x_y"):
            temporal, spatial = temporal * 2, spatial * 2
        elif name.startswith("compress_time"):
            temporal *= 2
        elif name.startswith("compress_space"):
            spatial *= 2
    return temporal, spatial


def audio_settings(config: dict[str, Any]) -> dict[str, Any]:
    """Audio front-end facts from the `audio_vae` section: sample rate, hop, mel bins, latent channels."""
    audio_vae = config.get("audio_vae", {})
    params = audio_vae.get("model", {}).get("params", {})
    ddconfig = params.get("ddconfig", {})
    preprocessing = audio_vae.get("preprocessing", {})
    mel_bins = ddconfig.get("mel_bins") or preprocessing.get("mel", {}).get("n_mel_channels") or 64
    return {
        "sample_rate": params.get("sampling_rate", 16000),
        "hop_length": preprocessing.get("stft", {}).get("hop_length", 160),
        "causal": preprocessing.get("stft", {}).get("causal", True),
        "mel_bins": mel_bins,
        "latent_channels": ddconfig.get("z_channels", 8),
        # Each ch_mult level after the first halves time and mel (LATENT_DOWNSAMPLE_FACTOR 4 for 3 levels).
        "downsample": 2 ** (len(ddconfig.get("ch_mult", (1, 2, 4))) - 1),
    }


def transformer_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    """Arguments for `LTX2VideoTransformer3DModel` (2.3: gated attention, prompt AdaLN, split RoPE)."""
    t = config["transformer"]
    _require(t, "caption_proj_before_connector", True, "transformer")
    _require(t, "use_audio_video_cross_attention", True, "transformer")
    _require(t, "qk_norm", "rms_norm", "transformer")
    max_pos = t.get("positional_embedding_max_pos", [20, 2048, 2048])
    temporal, spatial = video_vae_scale_factors(config.get("vae", {}))
    audio = audio_settings(config)
    gated = t.get("apply_gated_attention", False)
    cross_adaln = t.get("cross_attention_adaln", False)
    return {
        "in_channels": t.get("in_channels", 128),
        "out_channels": t.get("out_channels", 128),
        "num_attention_heads": t.get("num_attention_heads", 32),
        "attention_head_dim": t.get("attention_head_dim", 128),
        "cross_attention_dim": t.get("cross_attention_dim", 4096),
        "vae_scale_factors": (temporal, spatial, spatial),
        "pos_embed_max_pos": max_pos[0],
        "base_height": max_pos[1],
        "base_width": max_pos[2],
        "gated_attn": gated,
        "cross_attn_mod": cross_adaln,
        "audio_in_channels": t.get("audio_in_channels", 128),
        "audio_out_channels": t.get("audio_out_channels", 128),
        "audio_num_attention_heads": t.get("audio_num_attention_heads", 32),
        "audio_attention_head_dim": t.get("audio_attention_head_dim", 64),
        "audio_cross_attention_dim": t.get("audio_cross_attention_dim", 2048),
        "audio_scale_factor": audio["downsample"],
        "audio_pos_embed_max_pos": t.get("audio_positional_embedding_max_pos", [20])[0],
        "audio_sampling_rate": audio["sample_rate"],
        "audio_hop_length": audio["hop_length"],
        "audio_gated_attn": gated,
        "audio_cross_attn_mod": cross_adaln,
        "num_layers": t.get("num_layers", 48),
        "activation_fn": t.get("activation_fn", "gelu-approximate"),
        "qk_norm": "rms_norm_across_heads",
        "norm_elementwise_affine": t.get("norm_elementwise_affine", False),
        "norm_eps": t.get("norm_eps", 1e-6),
        "attention_bias": t.get("attention_bias", True),
        "attention_out_bias": t.get("attention_bias", True),
        "rope_theta": t.get("positional_embedding_theta", 10000.0),
        "rope_double_precision": t.get("frequencies_precision", False) == "float64",
        "timestep_scale_multiplier": t.get("timestep_scale_multiplier", 1000),
        # The reference treats a missing value as 1; diffusers would default to 1000.
        "cross_attn_timestep_scale_multiplier": t.get("av_ca_timestep_scale_multiplier", 1),
        "rope_type": t.get("rope_type", "interleaved"),
        "use_prompt_embeddings": False,  # 2.3: per-modality projections live in the text connectors
        "perturbed_attn": True,  # STG support
    }


def _encoder_kwargs(blocks: list[Any], latent_channels: int) -> dict[str, Any]:
    """Encoder part of the video VAE arguments (generic walk over `encoder_blocks`)."""
    layers, out_channels, types = [], [], []
    channels, pending = latent_channels, 0  # the reference's conv_in outputs latent_channels features
    for name, params in blocks:
        cfg = block_params(params)
        if name == "res_x":
            pending += cfg["num_layers"]
            continue
        if DOWNSAMPLE_TYPES[name] != "conv":
            channels *= cfg.get("multiplier", 2)
        layers.append(pending)
        out_channels.append(channels)
        types.append(DOWNSAMPLE_TYPES[name])
        pending = 0
    return {
        "block_out_channels": tuple(out_channels),
        "down_block_types": ("LTX2VideoDownBlock3D",) * len(types),
        "layers_per_block": (*layers, pending),  # the last entry is the mid block
        "spatio_temporal_scaling": (True,) * len(types),
        "downsample_type": tuple(types),
    }


def _decoder_kwargs(blocks: list[Any], base_channels: int) -> dict[str, Any]:
    """Decoder part (walks `reversed(decoder_blocks)`; diffusers wants lists in encoder order)."""
    channels = base_channels * 8  # the reference decoder starts at base_channels × 8 features
    mid_layers, mid_noise = 0, False
    ups: list[dict[str, Any]] = []  # one entry per up block, in decoding order
    for name, params in reversed(blocks):
        cfg = block_params(params)
        if name == "res_x":
            if ups:
                ups[-1]["layers"] += cfg["num_layers"]
            else:
                mid_layers, mid_noise = mid_layers + cfg["num_layers"], cfg.get("inject_noise", False)
            continue
        factor = cfg.get("multiplier", 1)
        ups.append({"in": channels, "layers": 0, "type": UPSAMPLE_TYPES[name], "factor": factor})
        ups[-1].update(residual=cfg.get("residual", False), noise=cfg.get("inject_noise", False))
        channels //= factor
    rev = list(reversed(ups))
    return {
        "decoder_block_out_channels": tuple(u["in"] for u in rev),
        "decoder_layers_per_block": (*(u["layers"] for u in rev), mid_layers),
        "decoder_spatio_temporal_scaling": (True,) * len(ups),
        "decoder_inject_noise": (*(u["noise"] for u in rev), mid_noise),
        "upsample_type": tuple(u["type"] for u in rev),
        "upsample_residual": tuple(u["residual"] for u in rev),
        "upsample_factor": tuple(u["factor"] for u in rev),
    }


def video_vae_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    """Arguments for `AutoencoderKLLTX2Video`; decodes non-causally like the reference."""
    vae = config["vae"]
    _require(vae, "dims", 3, "vae")
    _require(vae, "norm_layer", "pixel_norm", "vae")
    _require(vae, "latent_log_var", "uniform", "vae")
    latent_channels = vae.get("latent_channels", 128)
    return {
        "in_channels": vae.get("in_channels", 3),
        "out_channels": vae.get("out_channels", 3),
        "latent_channels": latent_channels,
        **_encoder_kwargs(vae.get("encoder_blocks", []), latent_channels),
        **_decoder_kwargs(vae.get("decoder_blocks", []), vae.get("decoder_base_channels", 128)),
        "timestep_conditioning": vae.get("timestep_conditioning", True),
        "patch_size": vae.get("patch_size", 4),
        "patch_size_t": 1,
        "encoder_causal": True,
        # diffusers defaults to a causal decoder and a call-time causal=False cannot undo it.
        "decoder_causal": vae.get("causal_decoder", False),
        "encoder_spatial_padding_mode": vae.get("spatial_padding_mode", "zeros"),
        "decoder_spatial_padding_mode": vae.get("spatial_padding_mode", "reflect"),
    }


def audio_vae_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    """Arguments for `AutoencoderKLLTX2Audio` (mel-spectrogram VAE, stereo in)."""
    ddconfig = config["audio_vae"].get("model", {}).get("params", {}).get("ddconfig", {})
    audio = audio_settings(config)
    return {
        "base_channels": ddconfig.get("ch", 128),
        "output_channels": ddconfig.get("out_ch", 2),
        "ch_mult": tuple(ddconfig.get("ch_mult", (1, 2, 4))),
        "num_res_blocks": ddconfig.get("num_res_blocks", 2),
        "attn_resolutions": tuple(ddconfig.get("attn_resolutions", (8, 16, 32))),
        "in_channels": ddconfig.get("in_channels", 2),
        "resolution": ddconfig.get("resolution", 256),
        "latent_channels": audio["latent_channels"],
        "norm_type": ddconfig.get("norm_type", "pixel"),
        "causality_axis": ddconfig.get("causality_axis", "height"),
        "dropout": ddconfig.get("dropout", 0.0),
        "mid_block_add_attention": ddconfig.get("mid_block_add_attention", True),
        "sample_rate": audio["sample_rate"],
        "mel_hop_length": audio["hop_length"],
        "is_causal": audio["causal"],
        "mel_bins": audio["mel_bins"],
        "double_z": ddconfig.get("double_z", True),
    }


def _generator_kwargs(
    cfg: dict[str, Any], in_channels: int, final_activation: bool, prefix: str = ""
) -> dict[str, Any]:
    """One HiFi-GAN/BigVGAN-style generator (stage-1 vocoder or the BWE stage)."""
    _require(cfg, "stereo", True, "vocoder")
    # The reference ends stage 1 with tanh (or clamp when told) and the BWE stage with nothing.
    final_act_fn = ("tanh" if cfg.get("use_tanh_at_final", True) else "clamp") if final_activation else None
    return {
        f"{prefix}in_channels": in_channels,
        f"{prefix}hidden_channels": cfg.get("upsample_initial_channel", 1024),
        f"{prefix}out_channels": 2,
        f"{prefix}upsample_kernel_sizes": list(cfg.get("upsample_kernel_sizes", [16, 15, 8, 4, 4])),
        f"{prefix}upsample_factors": list(cfg.get("upsample_rates", [6, 5, 2, 2, 2])),
        f"{prefix}resnet_kernel_sizes": list(cfg.get("resblock_kernel_sizes", [3, 7, 11])),
        f"{prefix}resnet_dilations": [list(d) for d in cfg.get("resblock_dilation_sizes", [[1, 3, 5]] * 3)],
        f"{prefix}act_fn": cfg.get("activation", "snake"),
        f"{prefix}antialias": cfg.get("resblock", "1") == "AMP1",
        f"{prefix}final_act_fn": final_act_fn,
        f"{prefix}final_bias": cfg.get("use_bias_at_final", True),
    }


def vocoder_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    """Arguments for `LTX2VocoderWithBWE` (16 kHz vocoder → bandwidth extension to 48 kHz)."""
    section = config["vocoder"]
    if "bwe" not in section:
        raise NotImplementedError("vocoder without bandwidth extension (LTX-2.0) is not supported")
    bwe = section["bwe"]
    # Both generators read stereo mels flattened to channels: 2 × mel bins (128 in every release).
    stage1_in = 2 * audio_settings(config)["mel_bins"]
    return {
        **_generator_kwargs(section.get("vocoder", {}), stage1_in, final_activation=True),
        **_generator_kwargs(bwe, 2 * bwe["num_mels"], final_activation=False, prefix="bwe_"),
        "filter_length": bwe["n_fft"],
        "hop_length": bwe["hop_length"],
        "window_length": bwe["n_fft"],
        "num_mel_channels": bwe["num_mels"],
        "input_sampling_rate": bwe["input_sampling_rate"],
        "output_sampling_rate": bwe["output_sampling_rate"],
    }


def connectors_kwargs(
    config: dict[str, Any], text_hidden_size: int, text_num_hidden_states: int, registers: int
) -> dict[str, Any]:
    """Arguments for `LTX2TextConnectors` with 2.3's per-modality projections.

    `text_num_hidden_states` is Gemma's layer count + 1 (the embeddings), the factor of the flattened input.
    """
    t = config["transformer"]
    heads = t.get("connector_num_attention_heads", 30)
    head_dim = t.get("connector_attention_head_dim", 128)
    layers = t.get("connector_num_layers", 2)
    gated = t.get("connector_apply_gated_attention", False)
    return {
        "caption_channels": text_hidden_size,
        "text_proj_in_factor": text_num_hidden_states,
        "video_connector_num_attention_heads": heads,
        "video_connector_attention_head_dim": head_dim,
        "video_connector_num_layers": layers,
        "video_connector_num_learnable_registers": registers,
        "video_gated_attn": gated,
        "audio_connector_num_attention_heads": t.get("audio_connector_num_attention_heads", heads),
        "audio_connector_attention_head_dim": t.get("audio_connector_attention_head_dim", head_dim),
        "audio_connector_num_layers": t.get("audio_connector_num_layers", layers),
        "audio_connector_num_learnable_registers": registers,
        "audio_gated_attn": gated,
        "connector_rope_base_seq_len": t.get("connector_positional_embedding_max_pos", [1])[0],
        "rope_theta": 10000.0,  # the reference connector never reads a theta from the config
        "rope_double_precision": t.get("frequencies_precision", False) == "float64",
        "rope_type": t.get("rope_type", "interleaved"),
        "per_modality_projections": True,
        "video_hidden_dim": t.get("num_attention_heads", 32) * t.get("attention_head_dim", 128),
        "audio_hidden_dim": t.get("audio_num_attention_heads", 32) * t.get("audio_attention_head_dim", 64),
        "proj_bias": True,
    }


def upsampler_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    """Arguments for `LTX2LatentUpsamplerModel` from the upsampler file's own metadata config."""
    return {
        "in_channels": config.get("in_channels", 128),
        "mid_channels": config.get("mid_channels", 512),
        "num_blocks_per_stage": config.get("num_blocks_per_stage", 4),
        "dims": config.get("dims", 3),
        "spatial_upsample": config.get("spatial_upsample", True),
        "temporal_upsample": config.get("temporal_upsample", False),
        "rational_spatial_scale": float(config.get("spatial_scale", 2.0)),
        # The reference default is the plain pixel-shuffle ×2; diffusers defaults to the rational one.
        "use_rational_resampler": config.get("rational_resampler", False),
    }


def audio_latents_per_second(config: dict[str, Any]) -> float:
    """Audio latent frames per second: sample rate / hop / temporal downsampling (25 for LTX-2.3)."""
    audio = audio_settings(config)
    return audio["sample_rate"] / audio["hop_length"] / audio["downsample"]


def latent_scales(config: dict[str, Any]) -> LatentScales:
    """The VAEs' compression as the checkpoint's config states it (8, 32 and 25 for LTX-2.3)."""
    temporal, spatial = video_vae_scale_factors(config["vae"])
    return LatentScales(temporal=temporal, spatial=spatial, audio_per_second=audio_latents_per_second(config))


def latent_channels(config: dict[str, Any]) -> LatentChannels:
    """The latent widths the checkpoint's config states (128 video channels, 8 × 16 audio for LTX-2.3)."""
    audio = audio_settings(config)
    return LatentChannels(
        video=config["vae"].get("latent_channels", 128),
        audio=audio["latent_channels"],
        audio_mel_bins=audio["mel_bins"] // audio["downsample"],
    )
