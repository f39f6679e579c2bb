"""The full-width configuration the CI-sized check (benchmarks/bench_full_width.py) writes and runs."""

from ltxserve.engine.loading.preset import GEMMA3_12B, LTX23_UPSAMPLER_CONFIG
from ltxserve.engine.memory.peaks import GIB
from ltxserve.engine.memory.sizes import part_sizes, preset_sizes
from ltxserve.engine.tiny.config import full_width_config


def test_full_width_config_has_every_real_width_and_few_layers():
    sizes = part_sizes(full_width_config(blocks=2, connector_layers=1), LTX23_UPSAMPLER_CONFIG, GEMMA3_12B)
    real = preset_sizes("ltx-2.3-22b")
    assert (sizes.video_width, sizes.audio_width, sizes.num_blocks) == (4096, 2048, 2)
    assert sizes.transformer_block == real.transformer_block  # the real block, twice instead of 48 times
    assert sizes.largest_linear == real.largest_linear
    assert sizes.decoders == real.decoders  # real VAEs, vocoder and upsampler
    assert sizes.transformer * 2 / GIB < 3  # small enough to write and run on a CPU
