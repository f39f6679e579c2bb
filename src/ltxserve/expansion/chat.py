"""Prompt expansion through an OpenAI-compatible `/v1/chat/completions` endpoint (instead of the engine's Gemma)."""

from __future__ import annotations

import base64
import io

import numpy as np

from ltxserve.engine.text.prompts import (
    ExpansionError,
    ExpansionOptions,
    ExpansionRequest,
    chat_messages,
    clean_expansion,
)
from ltxserve.openai_service import ServiceEndpoint


class ChatExpander:
    """Prompt expansion through `/v1/chat/completions` with the engine's instructions (a `PromptExpander`)."""

    def __init__(
        self, endpoint: ServiceEndpoint, options: ExpansionOptions | None = None, send_images: bool = False
    ) -> None:
        self.endpoint = endpoint
        self.options = options or ExpansionOptions()
        # Off by default: many OpenAI-compatible servers run text-only models and reject image parts.
        self.send_images = send_images

    def expand(self, request: ExpansionRequest) -> str:
        with_image = self.send_images and request.image is not None and request.mode != "text_to_audio"
        messages = chat_messages(request, with_image)
        if with_image and request.image is not None:
            messages[1]["content"][0] = {
                "type": "image_url",
                "image_url": {"url": _jpeg_data_uri(request.image)},
            }
        answer = self.endpoint.post(
            {
                "model": self.endpoint.model,
                "messages": messages,
                "temperature": self.options.temperature,
                "max_tokens": self.options.max_new_tokens,
                "seed": request.seed,
            }
        )
        try:
            text = answer["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise ExpansionError("the chat endpoint answered without a message") from exc
        return clean_expansion(str(text or ""))


def _jpeg_data_uri(pixels: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
