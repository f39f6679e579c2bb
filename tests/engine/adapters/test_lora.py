"""LoRAs as hooks: they change the output, never the base weights, and per-pass scales take effect."""

from dataclasses import replace
from functools import partial

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from ltxserve.engine.adapters.lora import LoraError, read_lora, stream_of
from ltxserve.engine.adapters.per_request import AdapterError
from ltxserve.engine.request import LoraSpec
from ltxserve.testing.requests import small_request

t2v = partial(small_request, seed=3)


@pytest.fixture(scope="module")
def lora_file(tiny_engine):
    return str(tiny_engine.parts.distilled_lora_path)


def _base_state(engine):
    return {k: v.clone() for k, v in engine.parts.transformer.state_dict().items()}


def test_lora_changes_output_and_a_b_a_gives_a_exactly(tiny_engine, lora_file):
    before = _base_state(tiny_engine)
    plain = tiny_engine.generate(t2v())
    strong = tiny_engine.generate(t2v(loras=(LoraSpec(lora_file, 1.0),)))
    weak = tiny_engine.generate(t2v(loras=(LoraSpec(lora_file, 0.3),)))
    again = tiny_engine.generate(t2v(loras=(LoraSpec(lora_file, 1.0),)))
    after_plain = tiny_engine.generate(t2v())
    assert not np.array_equal(plain.frames, strong.frames)
    assert not np.array_equal(strong.frames, weak.frames)
    assert np.array_equal(strong.frames, again.frames)
    assert np.array_equal(strong.waveform, again.waveform)
    assert np.array_equal(plain.frames, after_plain.frames)
    after = tiny_engine.parts.transformer.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_fused_and_hooked_adapters_agree_and_fusing_restores_the_base(tiny_engine, lora_file):
    before = {k: v for k, v in tiny_engine.parts.transformer.state_dict().items()}
    request = t2v(
        loras=(LoraSpec(lora_file, 0.8),), width=128, use_multiscale=True, distill_lora_scales=(0.3, 0.6)
    )
    fused = tiny_engine.generate(request)
    tiny_engine.adapters.fuse_budget_bytes = 0  # nothing fits: the hooks stay
    try:
        hooked = tiny_engine.generate(request)
    finally:
        tiny_engine.adapters.fuse_budget_bytes = None
    assert np.abs(fused.frames.astype(int) - hooked.frames.astype(int)).max() <= 2
    after = tiny_engine.parts.transformer.state_dict()
    assert all(after[k] is before[k] or torch.equal(after[k], before[k]) for k in before)


def test_distilled_lora_scales_apply_per_pass(tiny_engine):
    two_stage = t2v(width=128, height=64, use_multiscale=True)
    off = tiny_engine.generate(replace(two_stage, distill_lora_scales=(0.0, 0.0)))
    first = tiny_engine.generate(replace(two_stage, distill_lora_scales=(0.5, 0.0)))
    second = tiny_engine.generate(replace(two_stage, distill_lora_scales=(0.0, 0.5)))
    assert len({off.frames.tobytes(), first.frames.tobytes(), second.frames.tobytes()}) == 3


def test_video_only_lora_leaves_text_to_audio_bit_identical(tiny_engine, lora_file):
    audio_only = t2v(mode="text_to_audio", num_frames=12)
    plain = tiny_engine.generate(audio_only)
    video_lora = tiny_engine.generate(replace(audio_only, loras=(LoraSpec(lora_file, 1.0, target="video"),)))
    audio_lora = tiny_engine.generate(replace(audio_only, loras=(LoraSpec(lora_file, 1.0, target="audio"),)))
    assert np.array_equal(plain.waveform, video_lora.waveform)
    assert not np.array_equal(plain.waveform, audio_lora.waveform)


def test_corrupt_lora_fails_and_the_next_request_runs_clean(tiny_engine, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 64)
    plain = tiny_engine.generate(t2v())
    with pytest.raises(AdapterError) as info:
        tiny_engine.generate(
            t2v(loras=(LoraSpec(str(tmp_path / "ok.safetensors"), 1.0), LoraSpec(str(bad), 1.0)))
        )
    assert info.value.index == 0  # the first missing file is reported with its index
    with pytest.raises(AdapterError) as info:
        tiny_engine.generate(t2v(loras=(LoraSpec(str(bad), 1.0),)))
    assert info.value.index == 0
    assert np.array_equal(tiny_engine.generate(t2v()).frames, plain.frames)


def test_an_unusable_lora_is_reported_at_the_input_field_of_its_kind(tiny_engine, lora_file, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(AdapterError) as info:
        tiny_engine.generate(t2v(loras=(LoraSpec(lora_file, 1.0), LoraSpec(str(bad), 1.0, kind="camera"))))
    assert (info.value.field, info.value.index) == ("camera_lora", None)
    with pytest.raises(AdapterError) as info:
        tiny_engine.generate(t2v(loras=(LoraSpec(lora_file, 1.0, kind="camera"), LoraSpec(str(bad), 1.0))))
    assert (info.value.field, info.value.index) == ("loras", 0)  # the user's first LoRA, whatever precedes it


def test_lora_matching_no_module_is_refused(tiny_engine, tmp_path):
    path = tmp_path / "alien.safetensors"
    save_file(
        {
            "diffusion_model.nope.lora_A.weight": torch.zeros(2, 4),
            "diffusion_model.nope.lora_B.weight": torch.zeros(4, 2),
        },
        str(path),
    )
    with pytest.raises(LoraError, match="no layer matches"):
        read_lora(path, tiny_engine.adapters.index)


def _deltas(weights):
    return {where: (up.float() @ down.float()) for where, (down, up) in weights.layers.items()}


def test_every_file_format_gives_the_same_weight_delta(tiny_engine, lora_file, tmp_path):
    index = tiny_engine.adapters.index
    official = load_file(lora_file)
    peft, kohya = {}, {}
    for key, tensor in official.items():
        module, kind = key.removeprefix("diffusion_model.").rsplit(".lora_", 1)
        diffusers_name = index.resolve(module)[1]
        peft[f"transformer.{diffusers_name}.lora_{kind}"] = tensor
        flat = "lora_unet_" + module.replace(".", "_")
        if kind.startswith("A"):
            kohya[f"{flat}.lora_down.weight"] = tensor
            kohya[f"{flat}.alpha"] = torch.tensor(tensor.shape[0] / 2.0)  # alpha/rank = 0.5 ...
        else:
            kohya[f"{flat}.lora_up.weight"] = tensor * 2.0  # ... compensated here
    save_file(peft, str(tmp_path / "peft.safetensors"))
    save_file(kohya, str(tmp_path / "kohya.safetensors"))
    reference = _deltas(read_lora(lora_file, index))
    for name in ("peft", "kohya"):
        deltas = _deltas(read_lora(tmp_path / f"{name}.safetensors", index))
        assert deltas.keys() == reference.keys()
        for where, delta in reference.items():
            torch.testing.assert_close(deltas[where], delta, rtol=1e-2, atol=1e-3)


def test_connector_lora_changes_text_and_the_prompt_cache_keeps_them_apart(tiny_engine, tmp_path):
    modules = dict(tiny_engine.parts.connectors.named_modules())
    to_q = modules["video_connector.transformer_blocks.0.attn1.to_q"]
    g = torch.Generator().manual_seed(0)
    prefix = "diffusion_model.video_embeddings_connector.transformer_1d_blocks.0.attn1.to_q"
    path = tmp_path / "text.safetensors"
    save_file(
        {
            f"{prefix}.lora_A.weight": torch.randn(4, to_q.in_features, generator=g),
            f"{prefix}.lora_B.weight": torch.randn(to_q.out_features, 4, generator=g),
        },
        str(path),
    )
    plain = tiny_engine.generate(t2v())
    with_text_lora = tiny_engine.generate(t2v(loras=(LoraSpec(str(path), 1.0),)))
    assert not np.array_equal(plain.frames, with_text_lora.frames)
    assert np.array_equal(tiny_engine.generate(t2v()).frames, plain.frames)


def test_stream_assignment():
    assert stream_of("transformer_blocks.0.attn1.to_q") == "video"
    assert stream_of("transformer_blocks.0.audio_attn1.to_q") == "audio"
    assert stream_of("transformer_blocks.0.audio_to_video_attn.to_q") == "video"
    assert stream_of("transformer_blocks.0.video_to_audio_attn.to_q") == "audio"
    assert stream_of("audio_proj_in") == "audio"
    assert stream_of("proj_in") == "video"
