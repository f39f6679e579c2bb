"""The step loop does no host syncs and no per-step work that a stage could do once."""

from dataclasses import replace
from functools import partial

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile

from ltxserve.engine.request import Guidance
from ltxserve.testing.requests import small_request

# The 22b endpoints' default guidance: CFG, video STG and modality isolation batched (4 passes).
guided = partial(
    small_request,
    video_guidance=Guidance(cfg=3.0, stg=1.0, rescale=0.7, modality=3.0),
    audio_guidance=Guidance(cfg=7.0, rescale=0.7, modality=3.0),
    seed=1,
)


def _host_reads(engine, request) -> int:
    """Device→host value reads made from Python (`.item()`, `bool(t)`): each is a sync on a GPU."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        engine.generate(request)
    count = 0
    for event in prof.events():
        if event.name != "aten::_local_scalar_dense":
            continue
        parent = event.cpu_parent
        while parent is not None and parent.name in ("aten::item", "aten::is_nonzero"):
            parent = parent.cpu_parent
        count += parent is None or not parent.name.startswith("aten::")
    return count


def test_guided_steps_make_no_host_syncs(tiny_engine):
    with torch.inference_mode():
        tiny_engine.generate(guided())
        two, four = (_host_reads(tiny_engine, guided(num_inference_steps=n)) for n in (2, 4))
    assert four == two, f"{(four - two) / 2} host syncs per step"


def test_rope_tables_are_computed_once_per_stage_and_change_nothing(tiny_engine):
    memos = tiny_engine.denoiser.rope_memos
    assert len(memos) == 4
    before = sum(m.hits for m in memos)
    memoized = tiny_engine.generate(guided(num_inference_steps=3))
    assert sum(m.hits for m in memos) - before >= 4 * 2  # every module reused its tables on steps 2 and 3
    entries = [m.entries for m in memos]
    try:
        for m in memos:
            m.entries = 0
            m.clear()
        recomputed = tiny_engine.generate(guided(num_inference_steps=3))
    finally:
        for m, n in zip(memos, entries, strict=True):
            m.entries = n
    assert np.array_equal(memoized.frames, recomputed.frames)
    assert np.array_equal(memoized.waveform, recomputed.waveform)


def test_two_stage_run_matches_after_the_memo_saw_another_size(tiny_engine):
    small = tiny_engine.generate(guided(width=128, use_multiscale=True))
    tiny_engine.generate(guided(width=96, height=96))
    again = tiny_engine.generate(replace(guided(width=128, use_multiscale=True)))
    assert np.array_equal(small.frames, again.frames)
