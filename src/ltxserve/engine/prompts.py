"""Prompt expansion: the already-loaded Gemma-3 rewrites a terse prompt into the detailed description
LTX-2.3 was trained on (the reference's approach: a system prompt per mode, sampling at temperature 0.7,
bounded new tokens, seeded). See docs/engine.md, "Prompt expansion"."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ltxserve.engine.decoding import decode
from ltxserve.engine.request import Mode

if TYPE_CHECKING:
    from ltxserve.engine.model import ModelParts

_COMMON_RULES = """\
Rules:
- Keep every element the user asked for: subjects, actions, style, camera movement, sounds, spoken words.
- Invent concrete, plausible details only where the request is vague; never add characters or camera
  motion that were not asked for.
- Describe what happens in order, in the present tense ("is walking", "turns", "speaks"), linking events
  with "as", "then", "while".
- Describe only what can be seen and heard, in plain, restrained words; no smells, tastes or feelings.
- Quote spoken words exactly and say who speaks and how; do not invent speech unless the user mentions
  talking, singing or conversation.
- No timestamps, scene cuts, titles, lists, headings, quotation marks around the whole answer, or
  Markdown. Do not open with "The video shows" or similar.
- Answer with one paragraph of English, the prompt itself and nothing else. If the request cannot be
  rewritten, answer with the request unchanged. Never ask questions."""

INSTRUCTIONS: dict[tuple[Mode, bool], str] = {
    ("text_to_video", False): (
        "You write prompts for a video model that generates picture and sound together. Turn the user's "
        "request into a detailed description of one continuous shot: an optional leading "
        '"Style: <style>." (cinematic and realistic if none is given), the setting, lighting and materials, '
        "the people or animals (clothes, hair, expression), their actions, and a soundscape woven through "
        "the action (ambient sound, effects, speech or music).\n\n" + _COMMON_RULES
    ),
    ("text_to_video", True): (
        "You write prompts for a video model that animates the attached image, which is the first frame. "
        "Look at its subject, setting, style and mood, then describe how the scene moves on from it as the "
        "user asks: the motion and actions and the sounds that go with them. Do not repeat what the image "
        "already shows; where the request conflicts with it, describe the change from the image to the "
        "requested scene.\n\n" + _COMMON_RULES
    ),
    ("audio_to_video", False): (
        "You write prompts for a video model that creates the picture for an existing sound track (speech, "
        "singing or music is already given). Turn the user's request into a detailed description of one "
        "continuous shot that fits such a track: the setting, lighting, the people (clothes, hair, "
        "expression) and their movement, who is speaking or singing and how their lips, face and body move "
        "with the sound.\n\n" + _COMMON_RULES
    ),
    ("audio_to_video", True): (
        "You write prompts for a video model that animates the attached image (the first frame) to an "
        "existing sound track (speech, singing or music is already given). Look at the image, then describe "
        "how the people in it move with the sound: who speaks or sings, their lips, face, gestures and "
        "body, and any motion around them the user asks for. Do not repeat what the image already shows."
        "\n\n" + _COMMON_RULES
    ),
    ("text_to_audio", False): (
        "You write prompts for a model that generates sound only (no picture). Turn the user's request "
        "into a detailed description of what is heard, in order: the sources, the acoustic space (a small "
        "room, a street, a forest), loudness and rhythm, voices (who, how, the exact words in quotes when "
        "the user asks for speech) and music (instruments, tempo, mood). Describe sounds concretely "
        '("soft footsteps on a tiled floor"), never vaguely ("ambient sound").\n\n' + _COMMON_RULES
    ),
}
# Labels small models like to prepend ("Prompt:", "Output:"); dropped from the answer.
_LABEL = re.compile(r"^(?:enhanced |expanded |video |audio )?(?:prompt|output|answer)\s*:\s*", re.IGNORECASE)
_SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})


class ExpansionError(Exception):
    """Expansion produced nothing usable or ran out of time; the caller keeps the original prompt."""


@dataclass(frozen=True)
class ExpansionRequest:
    """What an expander needs: the mode, the user's prompt, the request seed and an optional first frame."""

    mode: Mode
    prompt: str
    seed: int
    image: np.ndarray | None = None  # (H, W, 3) uint8, the first frame when one conditions the video


@dataclass(frozen=True)
class ExpansionOptions:
    """The reference samples at 0.7 with up to 512 new tokens; the timeout bounds a slow device."""

    max_new_tokens: int = 512
    temperature: float = 0.7
    timeout_s: float = 120.0


class PromptExpander(Protocol):
    """Turns a terse prompt into a detailed one; raises on failure (the engine falls back)."""

    def expand(self, request: ExpansionRequest) -> str: ...


def instruction_for(mode: Mode, with_image: bool) -> str:
    """The system prompt for a mode; text-to-audio never looks at an image."""
    return INSTRUCTIONS[(mode, with_image and mode != "text_to_audio")]


def chat_messages(request: ExpansionRequest, with_image: bool) -> list[dict[str, Any]]:
    """System instruction plus the user's request, in the chat format transformers and OpenAI share."""
    user_text = f"User request: {request.prompt.strip()}"
    content: str | list[dict[str, str]] = user_text
    if with_image:
        content = [{"type": "image"}, {"type": "text", "text": user_text}]
    return [
        {"role": "system", "content": instruction_for(request.mode, with_image)},
        {"role": "user", "content": content},
    ]


def clean_expansion(text: str) -> str:
    """One clean prompt from a model's answer: one line, no labels, quotes or leading punctuation."""
    # Markdown fences and emphasis are never part of a prompt (the instructions forbid them anyway).
    text = text.translate(_SMART_QUOTES).replace("```", " ").replace("**", "").replace("__", "")
    text = " ".join(text.split())  # one paragraph: the text encoder sees a single line
    text = _LABEL.sub("", text)
    if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    # Gemma tends to start with "*", "-" or quotes; the reference drops leading non-letters too.
    start = next((i for i, char in enumerate(text) if char.isalnum()), len(text))
    text = text[start:]
    if not text:
        raise ExpansionError("the expander returned no text")
    return text


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
            self.image_processor is not None and getattr(self.model.config, "vision_config", None) is not None
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
        return clean_expansion(self.tokenizer.decode(new_tokens, skip_special_tokens=True))

    def _inputs(self, request: ExpansionRequest, with_image: bool) -> dict[str, Any]:
        """Token ids (plus pixel values and image-token markers when the image goes in)."""
        messages = chat_messages(request, with_image)
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        if not with_image:
            encoded = self.tokenizer(text, return_tensors="pt", add_special_tokens=False)
            return {"input_ids": encoded.input_ids, "attention_mask": encoded.attention_mask}
        config = self.model.config
        boi, eoi, soft = self.tokenizer.convert_ids_to_tokens(
            [config.boi_token_index, config.eoi_token_index, config.image_token_index]
        )
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
            "pixel_values": pixels.to(self.model.dtype),
        }
