"""Prompt expansion, whoever does it: the reference's system prompts per mode, the request and options an
expander takes, the `PromptExpander` Protocol the engine calls, and cleaning a model's answer into one
prompt. Torch-free: the engine's Gemma expander (engine/text/expander.py) and the OpenAI-compatible chat
expander (ltxserve/expansion/chat.py) share it. See docs/engine.md, "Prompt expansion"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ltxserve.engine.request import Mode

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
