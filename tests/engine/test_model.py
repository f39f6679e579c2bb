"""`ModelParts` holds what its annotations say: mypy checks the engine against diffusers' LTX-2 and
transformers' Gemma-3 classes (docs/testing.md, Types), so the loaded parts must be those classes."""

from __future__ import annotations

from typing import get_type_hints

from diffusers.models.autoencoders.autoencoder_kl_ltx2 import AutoencoderKLLTX2Video
from diffusers.models.autoencoders.autoencoder_kl_ltx2_audio import AutoencoderKLLTX2Audio
from diffusers.models.transformers.transformer_ltx2 import LTX2VideoTransformer3DModel
from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel
from diffusers.pipelines.ltx2.vocoder import LTX2VocoderWithBWE
from transformers import Gemma3ForConditionalGeneration, Gemma3Model, PreTrainedTokenizerBase
from transformers.image_processing_utils import BaseImageProcessor

from ltxserve.engine.generation.pipeline import Engine
from ltxserve.engine.model import ModelParts

# The names model.py imports under TYPE_CHECKING, to resolve its annotations here.
ANNOTATED = {
    cls.__name__: cls
    for cls in (
        AutoencoderKLLTX2Video,
        AutoencoderKLLTX2Audio,
        LTX2VideoTransformer3DModel,
        LTX2TextConnectors,
        LTX2LatentUpsamplerModel,
        LTX2VocoderWithBWE,
        Gemma3ForConditionalGeneration,
        Gemma3Model,
        PreTrainedTokenizerBase,
        BaseImageProcessor,
    )
}
MODULE_FIELDS = (
    "transformer",
    "video_vae",
    "audio_vae",
    "vocoder",
    "connectors",
    "text_encoder",
    "tokenizer",
    "upsampler",
    "language_model",
    "image_processor",
)


def test_loaded_parts_are_the_annotated_classes(tiny_engine: Engine) -> None:
    hints = get_type_hints(ModelParts, localns=ANNOTATED)
    for name in MODULE_FIELDS:
        value = getattr(tiny_engine.parts, name)
        assert isinstance(value, hints[name]), f"{name}: {type(value).__name__} is not {hints[name]}"


def test_the_tiny_model_fills_every_module_field(tiny_engine: Engine) -> None:
    # Otherwise the check above would pass on None for the optional parts.
    missing = [name for name in MODULE_FIELDS if getattr(tiny_engine.parts, name) is None]
    assert missing == []
