"""In-place LoRA fusing: hook-free steps, exact restore, per-stage scales, memory checks, fp8 storage."""

from dataclasses import replace
from functools import partial

import numpy as np
import pytest
import torch
from diffusers.hooks import apply_layerwise_casting

from ltxserve.engine.adapters import fuse
from ltxserve.engine.adapters.fuse import FuseGate, WeightBackup, fuse_fits
from ltxserve.engine.adapters.lora import AdapterSet, LoraWeights
from ltxserve.engine.adapters.per_request import RequestAdapters
from ltxserve.engine.request import LoraSpec
from ltxserve.testing.requests import small_request

t2v = partial(small_request, seed=3)


def test_fused_request_runs_hook_free_on_the_same_tensors_and_restores_them_bit_exactly(tiny_engine):
    transformer = tiny_engine.parts.transformer
    lora = str(tiny_engine.parts.distilled_lora_path)
    before = {k: (v.data_ptr(), v.clone()) for k, v in transformer.state_dict().items()}
    seen = []

    def watch(stage, step, total):
        if stage.startswith("denoise") and step == 1:
            hooked = sum(
                len(m._forward_hooks) for m in transformer.modules() if isinstance(m, torch.nn.Linear)
            )
            changed = sum(not torch.equal(v, before[k][1]) for k, v in transformer.state_dict().items())
            seen.append((hooked, changed))

    tiny_engine.generate(t2v(loras=(LoraSpec(lora, 0.7),)), on_progress=watch)
    assert seen, "a fused request must run the plain forward (no LoRA hooks)"
    assert seen[0][0] == 0, "a fused request must run the plain forward (no LoRA hooks)"
    assert seen[0][1] > 0, "the LoRA must be folded into the weights while the request runs"
    after = transformer.state_dict()
    assert [k for k, (ptr, _) in before.items() if after[k].data_ptr() != ptr] == [], (
        "weights were reallocated"
    )
    assert [k for k, (_, v) in before.items() if not torch.equal(after[k], v)] == [], (
        "weights were not restored"
    )


def test_second_stage_gets_its_own_distilled_scale_when_fused(tiny_engine):
    request = t2v(width=128, use_multiscale=True, distill_lora_scales=(0.2, 0.9))
    fused = tiny_engine.generate(request)
    tiny_engine.adapters.fuse_budget_bytes = 0  # hooks read the scale per call: the reference behaviour
    try:
        hooked = tiny_engine.generate(request)
    finally:
        tiny_engine.adapters.fuse_budget_bytes = None
    other = tiny_engine.generate(replace(request, distill_lora_scales=(0.2, 0.2)))
    assert np.abs(fused.frames.astype(int) - hooked.frames.astype(int)).max() <= 2
    assert not np.array_equal(fused.frames, other.frames)


def _linear_set(dtype=torch.float32, out=16, inp=8, rank=2):
    torch.manual_seed(0)
    layer = torch.nn.Linear(inp, out, bias=False)
    model = torch.nn.Sequential(layer)
    down, up = torch.randn(rank, inp), torch.randn(out, rank)
    weights = LoraWeights("x", {("transformer", "0"): (down, up)})
    return model, weights, down, up


def test_fuse_is_one_rounding_of_the_float32_sum_and_restore_is_exact():
    model, weights, down, up = _linear_set()
    original = model[0].weight.detach().clone()
    adapters = AdapterSet({"transformer": model, "connectors": torch.nn.Sequential()})
    adapters.attach("a", weights, 0.5)
    assert adapters.activate() is True
    assert torch.equal(model[0].weight, original + 0.5 * (up @ down))
    adapters.set_scale("a", 0.0)
    assert torch.allclose(model[0].weight, original, atol=1e-6)
    adapters.detach()
    assert torch.equal(model[0].weight, original)


def test_fp8_stored_weights_fuse_in_compute_precision_and_restore_exactly():
    model, weights, down, up = _linear_set()
    model[0].weight.data = model[0].weight.data.to(torch.float8_e4m3fn)
    stored = model[0].weight.detach().clone()
    apply_layerwise_casting(model, storage_dtype=torch.float8_e4m3fn, compute_dtype=torch.float32)
    x = torch.randn(3, 8)
    plain = model(x)
    adapters = AdapterSet(
        {"transformer": model, "connectors": torch.nn.Sequential()}, compute_dtype=torch.float32
    )
    adapters.attach("a", weights, 1.0)
    assert adapters.activate() is True
    assert model[0].weight.dtype == torch.float8_e4m3fn
    expected = (stored.float() + up @ down).to(torch.float8_e4m3fn)
    assert torch.equal(model[0].weight.view(torch.uint8), expected.view(torch.uint8))
    assert not torch.allclose(model(x), plain)
    adapters.detach()
    assert torch.equal(model[0].weight.view(torch.uint8), stored.view(torch.uint8))
    assert torch.equal(model(x), plain)


def test_fuse_refused_when_free_memory_is_short_then_hooks_give_the_same_output(monkeypatch):
    model, weights, down, up = _linear_set()
    x = torch.randn(3, 8)
    expected = model(x) + 0.5 * (x @ down.T) @ up.T
    layers = {("transformer", "0"): model[0].weight}
    workspace = fuse.FUSE_BYTES_PER_ELEMENT * model[0].weight.numel()
    assert fuse_fits(layers, WeightBackup(), device_budget=workspace + model[0].weight.nbytes)
    assert not fuse_fits(layers, WeightBackup(), device_budget=workspace)
    monkeypatch.setattr(fuse, "host_available_bytes", lambda: 0)  # "the memory is full" (a CPU model)
    adapters = AdapterSet({"transformer": model, "connectors": torch.nn.Sequential()})
    adapters.attach("a", weights, 0.5)
    assert adapters.activate() is False
    assert torch.allclose(model(x), expected, atol=1e-5)
    adapters.detach()
    assert not model[0]._forward_hooks


def test_backups_are_taken_once_per_engine_not_per_request():
    model, weights, _, _ = _linear_set()
    backup = WeightBackup()
    for _ in range(3):
        adapters = AdapterSet({"transformer": model, "connectors": torch.nn.Sequential()}, backup=backup)
        adapters.attach("a", weights, 1.0)
        adapters.activate()
        adapters.detach()
    assert backup.nbytes == model[0].weight.nbytes
    assert backup.missing_bytes({("transformer", "0"): model[0].weight}) == 0


def test_lora_cache_is_bounded_in_bytes_and_keeps_factors_on_the_host(tiny_engine, tmp_path):
    from safetensors.torch import load_file, save_file

    source = load_file(str(tiny_engine.parts.distilled_lora_path))
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"l{i}.safetensors")
        save_file({k: v * (i + 1) for k, v in source.items()}, str(paths[-1]))
    parts = tiny_engine.parts
    adapters = RequestAdapters(parts.transformer, parts.connectors, None)
    one = adapters._read(str(paths[0]), 0).nbytes
    adapters.cache_bytes = 2 * one
    for path in paths:
        weights = adapters._read(str(path), 0)
        assert {d.device.type for d, _ in weights.layers.values()} == {"cpu"}
        assert {u.device.type for _, u in weights.layers.values()} == {"cpu"}
    assert adapters.cached_bytes == 2 * one
    assert len(adapters._cache) == 2
    adapters.cache_bytes = one // 2  # a file larger than the budget is used but not kept
    adapters._read(str(paths[0]), 0)
    assert adapters.cached_bytes == 0


@pytest.mark.parametrize("budget", [0, None])
def test_failed_request_leaves_the_base_clean_fused_or_hooked(tiny_engine, budget):
    transformer = tiny_engine.parts.transformer
    before = {k: v.clone() for k, v in transformer.state_dict().items()}
    tiny_engine.adapters.fuse_budget_bytes = budget

    def fail(stage, step, total):
        if stage.startswith("denoise") and step == 1:
            raise RuntimeError("boom")

    try:
        with pytest.raises(RuntimeError, match="boom"):
            tiny_engine.generate(
                t2v(loras=(LoraSpec(str(tiny_engine.parts.distilled_lora_path), 1.0),)), fail
            )
    finally:
        tiny_engine.adapters.fuse_budget_bytes = None
    after = transformer.state_dict()
    assert all(torch.equal(after[k], v) for k, v in before.items())
    assert not any(m._forward_hooks for m in transformer.modules() if isinstance(m, torch.nn.Linear))


def test_identical_requests_keep_their_path_under_memory_pressure(tiny_engine, monkeypatch):
    """docs/loras.md, "Exactness": a fused set stays fused; a fallback is logged and sticks (hysteresis)."""
    adapters = tiny_engine.adapters
    saved = adapters.backup, adapters.gate
    adapters.backup, adapters.gate = WeightBackup(), FuseGate()  # a fresh engine: nothing backed up yet
    request = t2v(loras=(LoraSpec(str(tiny_engine.parts.distilled_lora_path), 1.0),))
    reserve = fuse.HOST_RESERVE_BYTES

    def run(available: int):
        monkeypatch.setattr(fuse, "host_available_bytes", lambda: available)
        return tiny_engine.generate(request)

    try:
        fused = run(reserve + (1 << 30))
        backups = adapters.backup.nbytes
        assert fused.warnings == () and backups > 0
        # Memory pressure well below the reserve: the backups exist, so the same request fuses again.
        pressed = run(64 << 20)
        assert pressed.warnings == ()
        assert np.array_equal(pressed.frames, fused.frames)
        assert np.array_equal(pressed.waveform, fused.waveform)
        # Layers never backed up under that pressure: hooks, with a warning for the job log.
        adapters.backup = WeightBackup()
        hooked = run(64 << 20)
        assert len(hooked.warnings) == 1 and "forward hooks" in hooked.warnings[0]
        assert "weight backups" in hooked.warnings[0]
        assert np.abs(hooked.frames.astype(int) - fused.frames.astype(int)).max() <= 2
        # Enough memory for the fuse by the plain rule, but not one reserve more: still hooks, same bytes.
        again = run(reserve + backups + (64 << 20))
        assert len(again.warnings) == 1
        assert np.array_equal(again.frames, hooked.frames)
        # With the hysteresis headroom free, fusing resumes and gives the fused output bit for bit.
        resumed = run(2 * reserve + backups + (64 << 20))
        assert resumed.warnings == ()
        assert np.array_equal(resumed.frames, fused.frames)
    finally:
        adapters.backup, adapters.gate = saved
