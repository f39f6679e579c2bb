"""The loader reads Lightricks' own tiny checkpoint: every key lands in a module and every module runs."""

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from ltxserve.engine.loading import checkpoint as ckpt
from ltxserve.engine.loading import convert_keys, module_configs
from ltxserve.engine.loading.loader import load_model, resolve_model_files


@pytest.fixture(scope="module")
def reference_model(reference_tiny_dir):
    return load_model(reference_tiny_dir)


def _meta_keys(cls, kwargs) -> set[str]:
    """Persistent state-dict keys of a module built from `kwargs`."""
    from accelerate import init_empty_weights

    with init_empty_weights():
        return set(cls(**kwargs).state_dict())


def test_every_reference_key_is_consumed_by_exactly_one_module(reference_tiny_dir):
    from diffusers import AutoencoderKLLTX2Audio, AutoencoderKLLTX2Video, LTX2VideoTransformer3DModel
    from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2VocoderWithBWE

    path = reference_tiny_dir / "ltx-tiny.safetensors"
    config = ckpt.read_checkpoint_info(path).config
    keys = ckpt.list_keys(path)
    plan = convert_keys.vae_block_plan(config["vae"])
    connector_prefixes = (
        ckpt.TEXT_PROJECTION_PREFIX,
        ckpt.VIDEO_CONNECTOR_PREFIX,
        ckpt.AUDIO_CONNECTOR_PREFIX,
    )
    groups = {
        "transformer": [
            k for k in keys if k.startswith(ckpt.TRANSFORMER_PREFIX) and not convert_keys.is_connector_key(k)
        ],
        "video_vae": [k for k in keys if k.startswith(ckpt.VIDEO_VAE_PREFIX)],
        "audio_vae": [k for k in keys if k.startswith(ckpt.AUDIO_VAE_PREFIX)],
        "vocoder": [k for k in keys if k.startswith(ckpt.VOCODER_PREFIX)],
        "connectors": [k for k in keys if k.startswith(connector_prefixes)],
    }
    assert sorted(k for group in groups.values() for k in group) == sorted(keys)  # nothing unread, no overlap

    converted = {
        "transformer": set(convert_keys.transformer_to_diffusers(dict.fromkeys(groups["transformer"]))),
        "video_vae": {convert_keys.video_vae_key_to_diffusers(k, plan) for k in groups["video_vae"]},
        "audio_vae": set(convert_keys.audio_vae_to_diffusers(dict.fromkeys(groups["audio_vae"]))),
        "vocoder": {convert_keys.vocoder_key_to_diffusers(k) for k in groups["vocoder"]},
        "connectors": {convert_keys.connector_key_to_diffusers(k) for k in groups["connectors"]},
    }
    expected = {
        "transformer": _meta_keys(LTX2VideoTransformer3DModel, module_configs.transformer_kwargs(config)),
        "video_vae": _meta_keys(AutoencoderKLLTX2Video, module_configs.video_vae_kwargs(config)),
        "audio_vae": _meta_keys(AutoencoderKLLTX2Audio, module_configs.audio_vae_kwargs(config)),
        "vocoder": _meta_keys(LTX2VocoderWithBWE, module_configs.vocoder_kwargs(config)),
        "connectors": _meta_keys(LTX2TextConnectors, module_configs.connectors_kwargs(config, 32, 3, 128)),
    }
    for name in groups:
        assert len(converted[name]) == len(groups[name]), f"{name}: two keys mapped to one"
        assert converted[name] == expected[name], name


def test_reference_folder_resolves_to_its_parts(reference_tiny_dir):
    files = resolve_model_files(reference_tiny_dir)
    assert files.checkpoint.name == "ltx-tiny.safetensors"
    assert files.gemma_dir.name == "gemma"
    assert files.upsampler.name == "upsampler-tiny.safetensors"
    assert files.distilled_lora.name == "distilled-lora-tiny.safetensors"


def test_reference_model_loads_with_facts_from_metadata(reference_model):
    facts = reference_model.facts
    assert facts.model_version == "2.3.0-tiny"
    assert (facts.video_latent_channels, facts.video_temporal_scale, facts.video_spatial_scale) == (
        128,
        8,
        32,
    )
    assert (facts.audio_latent_channels, facts.audio_latent_mel_bins, facts.audio_mel_bins) == (8, 16, 64)
    assert (facts.audio_sample_rate, facts.output_sample_rate, facts.audio_latents_per_second) == (
        16000,
        48000,
        25,
    )
    assert (facts.num_transformer_blocks, facts.text_hidden_size, facts.text_num_hidden_states) == (2, 32, 3)
    transformer = reference_model.transformer.config
    assert transformer.gated_attn
    assert transformer.cross_attn_mod
    assert transformer.perturbed_attn
    assert transformer.rope_type == "split"
    assert transformer.rope_double_precision
    assert transformer.cross_attn_timestep_scale_multiplier == 1  # absent in the file → the reference's 1
    assert reference_model.video_vae.config.decoder_causal is False
    assert all(not p.requires_grad for p in reference_model.transformer.parameters())


def _transformer_forward(model, timestep_scale: float = 1.0):
    torch.manual_seed(0)
    frames, height, width, audio_frames = 2, 2, 3, 5
    sigma = torch.tensor([0.7]) * 1000
    return model.transformer(
        hidden_states=torch.randn(1, frames * height * width, 128),  # b (f h w) c
        audio_hidden_states=torch.randn(1, audio_frames, 8 * 16),  # b t (c mel)
        encoder_hidden_states=torch.randn(1, 7, 32),
        audio_encoder_hidden_states=torch.randn(1, 7, 16),
        timestep=(sigma * timestep_scale).expand(1, frames * height * width),
        audio_timestep=sigma.expand(1, audio_frames),
        sigma=sigma,
        audio_sigma=sigma,
        num_frames=frames,
        height=height,
        width=width,
        fps=24.0,
        audio_num_frames=audio_frames,
        use_cross_timestep=True,
        return_dict=False,
    )


@torch.inference_mode()
def test_reference_transformer_runs(reference_model):
    video, audio = _transformer_forward(reference_model)
    assert video.shape == (1, 12, 128)
    assert audio.shape == (1, 5, 128)
    assert torch.isfinite(video).all()
    assert torch.isfinite(audio).all()


@torch.inference_mode()
def test_reference_vaes_vocoder_and_upsampler_run(reference_model):
    torch.manual_seed(0)
    latent = reference_model.video_vae.encode(torch.rand(1, 3, 9, 64, 64) * 2 - 1).latent_dist.mode()
    assert latent.shape == (1, 128, 2, 2, 2)
    video = reference_model.video_vae.decode(latent, causal=False).sample
    assert video.shape == (1, 3, 9, 64, 64)
    assert torch.isfinite(video).all()
    audio_latent = reference_model.audio_vae.encode(torch.randn(1, 2, 33, 64)).latent_dist.mode()
    assert audio_latent.shape == (1, 8, 9, 16)  # (B, C, T, mel): 4× down in time and mel
    mel = reference_model.audio_vae.decode(audio_latent).sample
    assert mel.shape == (1, 2, 33, 64)
    waveform = reference_model.vocoder(mel)  # (B, 2, T, mel) → (B, 2, samples at 48 kHz)
    assert waveform.shape == (1, 2, 33 * 160 * 3)
    assert torch.isfinite(waveform).all()
    upsampled = reference_model.upsampler(torch.randn(1, 128, 2, 4, 4))
    assert upsampled.shape == (1, 128, 2, 8, 8)
    assert torch.isfinite(upsampled).all()


@torch.inference_mode()
def test_prompt_through_gemma_and_connectors_gives_context_of_each_width(reference_model):
    tokens = reference_model.tokenizer(
        ["a cat walks on the beach"], padding="max_length", max_length=128, return_tensors="pt"
    )
    assert tokens.input_ids[0, 0] == reference_model.tokenizer.pad_token_id  # left padding
    hidden = reference_model.text_encoder.model.language_model(
        input_ids=tokens.input_ids, attention_mask=tokens.attention_mask, output_hidden_states=True
    ).hidden_states
    assert len(hidden) == reference_model.facts.text_num_hidden_states
    flat = torch.stack(hidden, dim=-1).flatten(2)  # (B, T, hidden × (layers + 1))
    video, audio, mask = reference_model.connectors(flat, tokens.attention_mask)
    assert video.shape == (1, 128, 32)
    assert audio.shape == (1, 128, 16)
    assert mask.shape == (1, 128)
    assert torch.isfinite(video).all()
    assert torch.isfinite(audio).all()


def test_generic_vae_rule_reproduces_diffusers_22b_mapping():
    from diffusers.loaders.single_file_utils import convert_ltx2_vae_to_diffusers

    # The real 22B layout; the decoder list is stored as the reference reads it (reversed when built).
    encoder = [["res_x", {"num_layers": n}] for n in (4, 6, 6, 2, 2)]
    compress = [["compress_space_res", {"multiplier": 2}], ["compress_time_res", {"multiplier": 2}]]
    compress += [["compress_all_res", {"multiplier": 2}]] * 2
    encoder_blocks = [
        block for pair in zip(encoder, [*compress, None], strict=True) for block in pair if block
    ]
    decoder_blocks = [["res_x", {"num_layers": 5}], ["compress_all", {"residual": True, "multiplier": 2}]] * 3
    vae = {
        "encoder_blocks": encoder_blocks,
        "decoder_blocks": [*decoder_blocks, ["res_x", {"num_layers": 5}]],
    }
    plan = convert_keys.vae_block_plan(vae)
    keys = [f"vae.encoder.down_blocks.{i}.res_blocks.0.conv1.conv.weight" for i in range(0, 9, 2)]
    keys += [f"vae.encoder.down_blocks.{i}.conv.conv.weight" for i in range(1, 9, 2)]
    keys += [f"vae.decoder.up_blocks.{i}.res_blocks.0.conv1.conv.weight" for i in range(0, 7, 2)]
    keys += [f"vae.decoder.up_blocks.{i}.conv.conv.weight" for i in range(1, 7, 2)]
    expected = convert_ltx2_vae_to_diffusers(dict.fromkeys(keys))
    assert sorted(convert_keys.video_vae_key_to_diffusers(k, plan) for k in keys) == sorted(expected)
    kwargs = module_configs.video_vae_kwargs({"vae": {**vae, "timestep_conditioning": False}})
    assert kwargs["block_out_channels"] == (256, 512, 1024, 2048)
    assert kwargs["layers_per_block"] == (4, 6, 6, 2, 2)
    assert kwargs["downsample_type"] == ("spatial", "temporal", "spatiotemporal", "spatiotemporal")
    assert kwargs["decoder_block_out_channels"] == (256, 512, 1024)
    assert kwargs["decoder_layers_per_block"] == (5, 5, 5, 5)


def _fake_checkpoint(path: Path, version: str) -> Path:
    config = {"transformer": {}, "vae": {}, "audio_vae": {}, "vocoder": {}}
    save_file(
        {"x": torch.zeros(1)}, str(path), metadata={"config": json.dumps(config), "model_version": version}
    )
    return path


def test_a_non_2_3_checkpoint_is_refused_clearly(tmp_path):
    path = _fake_checkpoint(tmp_path / "ltx-2-19b-dev.safetensors", "2.0.0")
    with pytest.raises(ckpt.CheckpointError, match=r"LTX-2\.3"):
        ckpt.read_checkpoint_info(path)


def test_folder_rule_prefers_dev_and_explicit_paths_win(tmp_path):
    (tmp_path / "gemma").mkdir()
    _fake_checkpoint(tmp_path / "ltx-2.3-22b-distilled-1.1.safetensors", "2.3.0")
    _fake_checkpoint(tmp_path / "ltx-2.3-22b-dev.safetensors", "2.3.0")
    _fake_checkpoint(
        tmp_path / "ltx-2.3-22b-distilled-lora-384.safetensors", "2.3.0"
    )  # LoRAs may carry metadata
    for name in (
        "ltx-2.3-spatial-upscaler-x2-1.0",
        "ltx-2.3-spatial-upscaler-x2-1.1",
        "ltx-2.3-spatial-upscaler-x1.5-1.0",
    ):
        save_file({"x": torch.zeros(1)}, str(tmp_path / f"{name}.safetensors"), metadata={"config": "{}"})
    files = resolve_model_files(tmp_path)
    assert files.checkpoint.name == "ltx-2.3-22b-dev.safetensors"
    assert files.upsampler.name == "ltx-2.3-spatial-upscaler-x2-1.1.safetensors"
    assert files.distilled_lora.name == "ltx-2.3-22b-distilled-lora-384.safetensors"
    chosen = tmp_path / "ltx-2.3-22b-distilled-1.1.safetensors"
    assert resolve_model_files(tmp_path, checkpoint=chosen).checkpoint == chosen


def test_folder_without_checkpoint_says_what_is_missing(tmp_path):
    (tmp_path / "gemma").mkdir()
    with pytest.raises(FileNotFoundError, match=r"LTX-2\.3 checkpoint"):
        resolve_model_files(tmp_path)


def test_components_are_read_one_prefix_at_a_time_and_cast(reference_tiny_dir):
    path = reference_tiny_dir / "ltx-tiny.safetensors"
    vae = ckpt.read_tensors(path, ckpt.VIDEO_VAE_PREFIX, dtype=torch.float32)
    assert vae
    assert all(k.startswith("vae.") for k in vae)
    assert {t.dtype for t in vae.values()} == {torch.float32}
    assert not ckpt.is_ltx_checkpoint(reference_tiny_dir / "upsampler-tiny.safetensors")
    assert ckpt.read_metadata_config(reference_tiny_dir / "upsampler-tiny.safetensors")["mid_channels"] == 32
