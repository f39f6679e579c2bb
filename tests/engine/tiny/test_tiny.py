"""The tiny-model writer: the official layout, O(1)-effect weights, deterministic per seed, loadable."""

import math

import pytest
import torch
from safetensors import safe_open

from ltxserve.engine.loading.loader import load_model, resolve_model_files
from ltxserve.engine.tiny import writer as tiny


def _layout(path):
    """Keys → (shape, dtype), and the metadata."""
    with safe_open(str(path), framework="pt") as f:
        layout = {k: (tuple(f.get_slice(k).get_shape()), f.get_slice(k).get_dtype()) for k in f.keys()}  # noqa: SIM118
        return layout, f.metadata()


@pytest.fixture(scope="module")
def tiny_model(tiny_model_dir):
    return load_model(tiny_model_dir)


@pytest.mark.parametrize(
    ("ours", "reference"),
    [
        (tiny.CHECKPOINT_NAME, "ltx-tiny.safetensors"),
        (tiny.UPSAMPLER_NAME, "upsampler-tiny.safetensors"),
        (tiny.DISTILLED_LORA_NAME, "distilled-lora-tiny.safetensors"),
        ("gemma/model.safetensors", "gemma/model.safetensors"),
    ],
)
def test_tiny_files_have_the_reference_layout(tiny_model_dir, reference_tiny_dir, ours, reference):
    layout, metadata = _layout(tiny_model_dir / ours)
    expected_layout, expected_metadata = _layout(reference_tiny_dir / reference)
    assert layout == expected_layout  # same keys, shapes and dtypes (bf16)
    assert metadata == expected_metadata  # config JSON, model_version (or none)


def test_tiny_folder_follows_the_model_directory_rule(tiny_model_dir):
    files = resolve_model_files(tiny_model_dir)
    assert files.checkpoint.name == tiny.CHECKPOINT_NAME
    assert files.upsampler.name == tiny.UPSAMPLER_NAME
    assert files.distilled_lora.name == tiny.DISTILLED_LORA_NAME
    assert (files.gemma_dir / "config.json").is_file()
    assert (files.gemma_dir / "tokenizer.json").is_file()


def test_tiny_model_is_small(tiny_model_dir):
    size = sum(f.stat().st_size for f in tiny_model_dir.rglob("*") if f.is_file())
    assert size < 100e6


def test_same_seed_same_weights_other_seed_other_weights(tiny_model_dir):
    from safetensors.torch import load_file

    written = load_file(str(tiny_model_dir / tiny.CHECKPOINT_NAME))  # seed 0
    again = tiny.checkpoint_tensors(torch.Generator().manual_seed(0))
    other = tiny.checkpoint_tensors(torch.Generator().manual_seed(1))
    assert written.keys() == again.keys()
    assert all(torch.equal(written[k], again[k]) for k in written)
    learned = "model.diffusion_model.transformer_blocks.0.attn1.to_q.weight"
    assert not torch.equal(written[learned], other[learned])
    # fixed signal-processing buffers do not depend on the seed
    assert torch.equal(written["vocoder.mel_stft.mel_basis"], other["vocoder.mel_stft.mel_basis"])


def test_tokenizer_training_is_deterministic():
    from ltxserve.engine.tiny.gemma import train_sentencepiece

    assert train_sentencepiece() == train_sentencepiece()


def test_tiny_tokenizer_has_gemma_special_tokens(tiny_model):
    tokenizer = tiny_model.tokenizer
    ids = [tokenizer.convert_tokens_to_ids(t) for t in ("<pad>", "<eos>", "<bos>", "<unk>")]
    assert ids == [0, 1, 2, 3]
    turn = tokenizer("<start_of_turn>user hello<end_of_turn>").input_ids
    assert tokenizer.convert_tokens_to_ids("<start_of_turn>") in turn
    assert tokenizer.convert_tokens_to_ids("<end_of_turn>") in turn


def test_learned_weights_are_order_one_not_point_zero_two(tiny_model_dir):
    with safe_open(str(tiny_model_dir / tiny.CHECKPOINT_NAME), framework="pt") as f:
        weight = f.get_tensor("model.diffusion_model.transformer_blocks.0.ff.net.0.proj.weight").float()
    # N(0, 1/fan_in): each output unit keeps unit variance
    assert 0.8 < weight.std().item() * math.sqrt(weight.shape[1]) < 1.2


def _transformer_output(model, video_timestep_scale: float, dtype: torch.dtype = torch.float32):
    """Video output of one forward on fixed random inputs: 2×2×3 video tokens, 5 audio tokens."""
    generator = torch.Generator().manual_seed(0)

    def noise(*shape):
        return torch.randn(*shape, generator=generator).to(dtype)

    sigma = torch.tensor([700.0], dtype=dtype)
    video, _ = model.transformer(
        hidden_states=noise(1, 12, 128),
        audio_hidden_states=noise(1, 5, 128),
        encoder_hidden_states=noise(1, 7, 32),
        audio_encoder_hidden_states=noise(1, 7, 16),
        timestep=(sigma * video_timestep_scale).expand(1, 12),
        audio_timestep=sigma.expand(1, 5),
        sigma=sigma,
        audio_sigma=sigma,
        num_frames=2,
        height=2,
        width=3,
        audio_num_frames=5,
        use_cross_timestep=True,
        return_dict=False,
    )
    return video


@torch.inference_mode()
def test_a_timestep_change_moves_the_tiny_transformer_output_visibly(tiny_model):
    base = _transformer_output(tiny_model, 1.0)
    shifted = _transformer_output(tiny_model, 0.5)
    assert 0.3 < base.std().item() < 3.0  # activations stay O(1)
    assert (shifted - base).abs().max().item() > 0.1  # a wrong timestep mapping cannot hide


@torch.inference_mode()
def test_tiny_audio_path_gives_a_waveform_mostly_inside_the_clamp(tiny_model):
    torch.manual_seed(0)
    mel = tiny_model.audio_vae.decode(torch.randn(1, 8, 9, 16)).sample
    waveform = tiny_model.vocoder(mel)
    assert waveform.shape == (1, 2, 33 * 160 * 3)
    assert torch.isfinite(waveform).all()
    assert waveform.std().item() > 0.05
    assert (waveform.abs() > 0.999).float().mean().item() < 0.5


def test_distilled_lora_has_an_order_one_effect(tiny_model_dir):
    name = "transformer_blocks.1.attn2.to_v"
    with safe_open(str(tiny_model_dir / tiny.DISTILLED_LORA_NAME), framework="pt") as f:
        delta = (
            f.get_tensor(f"diffusion_model.{name}.lora_B.weight").float()
            @ f.get_tensor(f"diffusion_model.{name}.lora_A.weight").float()
        )
    with safe_open(str(tiny_model_dir / tiny.CHECKPOINT_NAME), framework="pt") as f:
        weight = f.get_tensor(f"model.diffusion_model.{name}.weight").float()
    assert 0.2 < (delta.norm() / weight.norm()).item() < 5


def test_mel_filterbank_covers_the_spectrum_in_order():
    filters = tiny.mel_filterbank(16000, 256, 64)
    assert filters.shape == (64, 129)
    assert (filters >= 0).all()
    peaks = filters.argmax(dim=1)
    assert (peaks[1:] >= peaks[:-1]).all()
    assert (filters.sum(dim=0)[1:-1] > 0).all()


def test_stft_basis_computes_the_windowed_spectrum():
    forward, _ = tiny.stft_bases(256)
    frame = torch.randn(256)
    spectrum = (forward[:, 0, :] @ frame).view(2, -1)  # [real; imag]
    expected = torch.fft.rfft(frame * torch.hann_window(256))
    assert torch.allclose(spectrum[0], expected.real, atol=1e-4)
    assert torch.allclose(spectrum[1], expected.imag, atol=1e-4)


@torch.inference_mode()
def test_tiny_model_loads_in_bfloat16(tiny_model_dir):
    model = load_model(tiny_model_dir, dtype=torch.bfloat16, load_text_encoder=False)
    assert {p.dtype for p in model.transformer.parameters()} == {torch.bfloat16}
    assert model.text_encoder is None
    video = _transformer_output(model, 1.0, torch.bfloat16)
    assert video.dtype == torch.bfloat16
    assert torch.isfinite(video).all()
