"""Prompt expansion on the engine's own Gemma-3: it rewrites a terse prompt into the detailed description
LTX-2.3 was trained on (the reference's approach: a system prompt per mode, sampling at temperature 0.7,
bounded new tokens, seeded). The prompts and the Protocol live in ltxserve/engine/text/prompts.py."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ltxserve.engine.text.decoding import decode
from ltxserve.engine.text.prompts import (
    ExpansionError,
    ExpansionOptions,
    ExpansionRequest,
    chat_messages,
    clean_expansion,
)

if TYPE_CHECKING:
    import torch

    from ltxserve.engine.model import ModelParts


class GemmaExpander:
    """Expansion with the engine's own Gemma-3 (`Gemma3ForConditionalGeneration`, LM head tied)."""

    def __init__(self, parts: ModelParts, options: ExpansionOptions | None = None) -> None:
        self.model = parts.language_model
        self.tokenizer = parts.tokenizer
        self.image_processor = parts.image_processor
        self.options = options or ExpansionOptions()

    @property
    def sees_images(self) -> bool:
        """Whether the loaded Gemma has a vision tower and we can preprocess images for it."""
        return (
            self.model is not None
            and self.image_processor is not None
            and getattr(self.model.config, "vision_config", None) is not None
        )

    def expand(self, request: ExpansionRequest) -> str:
        import torch

        if self.model is None:
            raise ExpansionError("this model has no language-model head for expansion")
        with_image = request.image is not None and self.sees_images and request.mode != "text_to_audio"
        inputs = self._inputs(request, with_image)
        device = self.model.device
        started = time.monotonic()
        # Seeded from the request: the same request expands the same way; no global RNG is touched.
        generator = torch.Generator(device).manual_seed(request.seed)
        eos = self.model.generation_config.eos_token_id
        new_tokens, finished = decode(
            self.model,
            {name: value.to(device) for name, value in inputs.items()},
            self.options.max_new_tokens,
            self.options.temperature,
            {eos} if isinstance(eos, int) else set(eos or ()),
            generator,
            started + self.options.timeout_s,
        )
        if not finished and time.monotonic() - started >= self.options.timeout_s:
            raise ExpansionError(f"expansion timed out after {self.options.timeout_s:g} s")
        text = self.tokenizer.decode(new_tokens, skip_special_tokens=True)
        return clean_expansion(text if isinstance(text, str) else "".join(text))

    def _inputs(self, request: ExpansionRequest, with_image: bool) -> dict[str, torch.Tensor]:
        """Token ids (plus pixel values and image-token markers when the image goes in)."""
        messages = chat_messages(request, with_image)
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        if not isinstance(text, str):
            raise ExpansionError("the tokenizer's chat template did not return text")
        model = self.model
        if not with_image or request.image is None or self.image_processor is None or model is None:
            encoded = self.tokenizer(text, return_tensors="pt", add_special_tokens=False)
            return {"input_ids": encoded.input_ids, "attention_mask": encoded.attention_mask}
        config = model.config
        ids = [config.boi_token_index, config.eoi_token_index, config.image_token_index]
        tokens = self.tokenizer.convert_ids_to_tokens([i for i in ids if i is not None])
        if not isinstance(tokens, list) or len(tokens) != 3 or config.mm_tokens_per_image is None:
            raise ExpansionError("the Gemma config lacks its image tokens")
        boi, eoi, soft = tokens
        # What Gemma3Processor does, without needing its tokenizer attributes: the template's single
        # <start_of_image> becomes the full image block, one soft token per vision embedding.
        block = f"\n\n{boi}{soft * config.mm_tokens_per_image}{eoi}\n\n"
        encoded = self.tokenizer(text.replace(boi, block, 1), return_tensors="pt", add_special_tokens=False)
        pixels = self.image_processor(images=[request.image], return_tensors="pt")["pixel_values"]
        return {
            "input_ids": encoded.input_ids,
            "attention_mask": encoded.attention_mask,
            # Gemma-3 attends bidirectionally within an image's tokens; these mark them.
            "token_type_ids": (encoded.input_ids == config.image_token_index).long(),
            "pixel_values": pixels.to(model.dtype),
        }
