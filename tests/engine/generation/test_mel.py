"""The audio VAE's mel front end: Slaney scale, filter shapes, and where a tone lands."""

import numpy as np
import pytest
import torch

from ltxserve.engine.generation.mel import _hz_to_mel, _mel_to_hz, log_mel, slaney_mel_filterbank


def test_slaney_scale_fixed_points():
    # Linear below 1 kHz (200/3 Hz per mel), logarithmic above: 1 kHz is mel 15, 6.4 kHz is mel 42.
    assert float(_hz_to_mel(1000.0)) == pytest.approx(15.0)
    assert float(_hz_to_mel(6400.0)) == pytest.approx(42.0)
    assert float(_mel_to_hz(np.array(15.0))) == pytest.approx(1000.0)


def test_filterbank_shape_and_area_normalisation():
    bank = slaney_mel_filterbank(16000, 1024, 64)
    assert bank.shape == (513, 64)
    assert (bank >= 0).all()
    assert (bank.max(axis=0) > 0).all()
    # Slaney normalisation: each triangle's area (in Hz) is one.
    hz_per_bin = 16000 / 1024
    assert (bank.sum(axis=0) * hz_per_bin) == pytest.approx(np.ones(64), rel=0.1)


def test_tone_lands_in_the_matching_mel_band():
    rate, freq = 16000, 1000.0
    t = torch.arange(rate) / rate
    wave = torch.sin(2 * torch.pi * freq * t).repeat(1, 2, 1)  # (1, 2, N)
    mel = log_mel(wave, rate, 1024, 160, 64)
    assert mel.shape == (1, 2, rate // 160 + 1, 64)
    centres = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(rate / 2), 66))[1:-1]
    assert int(mel[0, 0, 50].argmax()) == int(np.abs(centres - freq).argmin())
