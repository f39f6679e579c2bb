"""The architecture config of the tiny LTX-2.3 model: the same as Lightricks' reference-tiny fixture."""

from typing import Any

# 2 blocks, video 2 heads × 16, audio 2 × 8, every 2.3 feature on; written into the metadata `config`.
TINY_CONFIG: dict[str, Any] = {
    "transformer": {
        "dropout": 0.0,
        "attention_bias": True,
        "activation_fn": "gelu-approximate",
        "num_embeds_ada_norm": 1000,
        "use_linear_projection": False,
        "only_cross_attention": False,
        "cross_attention_norm": True,
        "double_self_attention": False,
        "upcast_attention": False,
        "standardization_norm": "rms_norm",
        "norm_elementwise_affine": False,
        "qk_norm": "rms_norm",
        "positional_embedding_type": "rope",
        "use_audio_video_cross_attention": True,
        "share_ff": False,
        "av_cross_ada_norm": True,
        "use_middle_indices_grid": True,
        "num_attention_heads": 2,
        "attention_head_dim": 16,
        "in_channels": 128,
        "out_channels": 128,
        "num_layers": 2,
        "cross_attention_dim": 32,
        "audio_num_attention_heads": 2,
        "audio_attention_head_dim": 8,
        "audio_in_channels": 128,
        "audio_out_channels": 128,
        "audio_cross_attention_dim": 16,
        "positional_embedding_max_pos": [20, 2048, 2048],
        "audio_positional_embedding_max_pos": [20],
        "rope_type": "split",
        "frequencies_precision": "float64",
        "apply_gated_attention": True,
        "cross_attention_adaln": True,
        "caption_proj_before_connector": True,
        "caption_projection_first_linear": False,
        "caption_proj_input_norm": False,
        "caption_projection_second_linear": False,
        "connector_num_attention_heads": 2,
        "connector_attention_head_dim": 16,
        "connector_num_layers": 1,
        "audio_connector_num_attention_heads": 2,
        "audio_connector_attention_head_dim": 8,
        "connector_apply_gated_attention": True,
        "connector_positional_embedding_max_pos": [4096],
    },
    "vae": {
        "dims": 3,
        "in_channels": 3,
        "out_channels": 3,
        "latent_channels": 128,
        "patch_size": 4,
        "norm_layer": "pixel_norm",
        "latent_log_var": "uniform",
        "spatial_padding_mode": "zeros",
        "encoder_blocks": [["res_x", 1], ["compress_all", {}], ["compress_all", {}], ["compress_all", {}]],
        "decoder_blocks": [
            ["res_x", {"num_layers": 1}],
            ["compress_all", {"multiplier": 2, "residual": True}],
            ["compress_all", {"multiplier": 2, "residual": True}],
            ["compress_all", {"multiplier": 2, "residual": True}],
        ],
        "decoder_base_channels": 4,
        "causal_decoder": False,
        "timestep_conditioning": False,
    },
    "audio_vae": {
        "model": {
            "params": {
                "sampling_rate": 16000,
                "ddconfig": {
                    "ch": 128,
                    "out_ch": 2,
                    "ch_mult": [1, 1, 1],
                    "num_res_blocks": 1,
                    "attn_resolutions": [],
                    "resolution": 256,
                    "z_channels": 8,
                    "double_z": True,
                    "in_channels": 2,
                    "mel_bins": 64,
                    "norm_type": "pixel",
                    "causality_axis": "height",
                    "mid_block_add_attention": False,
                },
            }
        },
        "preprocessing": {
            "stft": {"hop_length": 160, "filter_length": 1024, "causal": True},
            "mel": {"n_mel_channels": 64},
        },
    },
    "vocoder": {
        "vocoder": {
            "resblock": "AMP1",
            "stereo": True,
            "activation": "snakebeta",
            "upsample_rates": [4, 4, 10],
            "upsample_kernel_sizes": [8, 8, 20],
            "upsample_initial_channel": 16,
            "resblock_kernel_sizes": [3],
            "resblock_dilation_sizes": [[1, 3, 5]],
        },
        "bwe": {
            "resblock": "AMP1",
            "stereo": True,
            "activation": "snakebeta",
            "upsample_rates": [4, 6, 10],
            "upsample_kernel_sizes": [8, 12, 20],
            "upsample_initial_channel": 16,
            "resblock_kernel_sizes": [3],
            "resblock_dilation_sizes": [[1, 3, 5]],
            "input_sampling_rate": 16000,
            "output_sampling_rate": 48000,
            "n_fft": 256,
            "hop_length": 80,
            "num_mels": 64,
        },
    },
}

# The ×2 spatial upsampler of the fixture (its file metadata `config`).
TINY_UPSAMPLER_CONFIG: dict[str, Any] = {
    "in_channels": 128,
    "mid_channels": 32,
    "num_blocks_per_stage": 1,
    "dims": 3,
    "spatial_upsample": True,
}


def full_width_config(blocks: int = 2, connector_layers: int = 1) -> dict[str, Any]:
    """The real LTX-2.3 22B configuration (engine/loading/preset.py) with few transformer blocks and connector layers:
    every width, head count and decoder as published, small enough to write and run on a CPU."""
    import copy

    from ltxserve.engine.loading.preset import LTX23_22B_CONFIG

    config = copy.deepcopy(LTX23_22B_CONFIG)
    config["transformer"]["num_layers"] = blocks
    config["transformer"]["connector_num_layers"] = connector_layers
    return config
