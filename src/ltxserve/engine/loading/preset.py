"""Built-in model presets: the metadata `config` of published checkpoints, for planning without the files.

`ltx-2.3-22b` is the configuration stored in the metadata of Lightricks' `ltx-2.3-22b-dev.safetensors`
(the same for the distilled and fp8 files), as summarised in docs/memory.md; values the metadata leaves
out take the reference's defaults, exactly as when the real file is loaded (engine/loading/module_configs.py).
A real checkpoint's own metadata always wins when one is given.
"""

from __future__ import annotations

from typing import Any

from ltxserve.engine.loading.gemma import GEMMA3_12B_TEXT, GEMMA3_12B_VISION

_RES = "res_x"
LTX23_22B_CONFIG: dict[str, Any] = {
    "transformer": {
        "num_layers": 48,
        "num_attention_heads": 32,
        "attention_head_dim": 128,
        "cross_attention_dim": 4096,
        "audio_num_attention_heads": 32,
        "audio_attention_head_dim": 64,
        "audio_cross_attention_dim": 2048,
        "in_channels": 128,
        "out_channels": 128,
        "audio_in_channels": 128,
        "audio_out_channels": 128,
        "caption_channels": 3840,
        "apply_gated_attention": True,
        "cross_attention_adaln": True,
        "av_cross_ada_norm": True,
        "use_audio_video_cross_attention": True,
        "caption_proj_before_connector": True,
        "qk_norm": "rms_norm",
        "standardization_norm": "rms_norm",
        "attention_bias": True,
        "activation_fn": "gelu-approximate",
        "norm_elementwise_affine": False,
        "norm_eps": 1e-6,
        "positional_embedding_type": "rope",
        "rope_type": "split",
        "frequencies_precision": "float64",
        "positional_embedding_theta": 10000.0,
        "positional_embedding_max_pos": [20, 2048, 2048],
        "audio_positional_embedding_max_pos": [20],
        "timestep_scale_multiplier": 1000,
        "av_ca_timestep_scale_multiplier": 1000,
        "use_middle_indices_grid": True,
        "connector_num_layers": 8,
        "connector_num_attention_heads": 32,
        "connector_attention_head_dim": 128,
        "audio_connector_num_attention_heads": 32,
        "audio_connector_attention_head_dim": 64,
        "connector_apply_gated_attention": True,
        "connector_positional_embedding_max_pos": [4096],
        "connector_num_learnable_registers": 128,
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
        "encoder_blocks": [
            [_RES, {"num_layers": 4}],
            ["compress_space_res", {"multiplier": 2}],
            [_RES, {"num_layers": 6}],
            ["compress_time_res", {"multiplier": 2}],
            [_RES, {"num_layers": 4}],
            ["compress_all_res", {"multiplier": 2}],
            [_RES, {"num_layers": 2}],
            ["compress_all_res", {"multiplier": 1}],
            [_RES, {"num_layers": 2}],
        ],
        "decoder_blocks": [
            [_RES, {"num_layers": 4}],
            ["compress_space", {"multiplier": 2}],
            [_RES, {"num_layers": 6}],
            ["compress_time", {"multiplier": 2}],
            [_RES, {"num_layers": 4}],
            ["compress_all", {"multiplier": 1}],
            [_RES, {"num_layers": 2}],
            ["compress_all", {"multiplier": 2}],
            [_RES, {"num_layers": 2}],
        ],
        "decoder_base_channels": 128,
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
                    "ch_mult": [1, 2, 4],
                    "num_res_blocks": 2,
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
            "mel": {"n_mel_channels": 64, "mel_fmin": 0, "mel_fmax": 8000},
        },
    },
    "vocoder": {
        "vocoder": {
            "resblock": "AMP1",
            "stereo": True,
            "activation": "snakebeta",
            "upsample_rates": [5, 2, 2, 2, 2, 2],
            "upsample_kernel_sizes": [11, 4, 4, 4, 4, 4],
            "upsample_initial_channel": 1536,
            "resblock_kernel_sizes": [3, 7, 11],
            "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        },
        "bwe": {
            "resblock": "AMP1",
            "stereo": True,
            "activation": "snakebeta",
            "upsample_rates": [6, 5, 2, 2, 2],
            "upsample_kernel_sizes": [12, 11, 4, 4, 4],
            "upsample_initial_channel": 512,
            "resblock_kernel_sizes": [3, 7, 11],
            "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
            "input_sampling_rate": 16000,
            "output_sampling_rate": 48000,
            "n_fft": 512,
            "hop_length": 80,
            "num_mels": 64,
        },
    },
}
# The ×2 spatial upsampler's own metadata config (ltx-2.3-spatial-upscaler-x2-1.1.safetensors).
LTX23_UPSAMPLER_CONFIG: dict[str, Any] = {
    "in_channels": 128,
    "mid_channels": 512,
    "num_blocks_per_stage": 4,
    "dims": 3,
    "spatial_upsample": True,
    "temporal_upsample": False,
}
# Gemma-3-12B-it: the text encoder every LTX-2.3 checkpoint is paired with.
GEMMA3_12B: dict[str, Any] = {"text_config": dict(GEMMA3_12B_TEXT), "vision_config": dict(GEMMA3_12B_VISION)}

PRESETS: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "ltx-2.3-22b": (LTX23_22B_CONFIG, LTX23_UPSAMPLER_CONFIG, GEMMA3_12B),
}
