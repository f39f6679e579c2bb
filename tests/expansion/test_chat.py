"""Expansion through an OpenAI-compatible chat endpoint, and the engine's fallback when it fails."""

import numpy as np

from ltxserve.engine.request import ImageInput
from ltxserve.engine.text.prompts import ExpansionOptions, ExpansionRequest
from ltxserve.expansion.chat import ChatExpander
from ltxserve.openai_service import ServiceEndpoint
from ltxserve.testing.requests import small_request

PROMPT = "a fox in the snow"


def chat(base: str, timeout_s: float = 5.0, **kw) -> ChatExpander:
    endpoint = ServiceEndpoint(f"{base}/v1/chat/completions", "local-model", "sk-test-123", timeout_s)
    return ChatExpander(endpoint, ExpansionOptions(max_new_tokens=64), **kw)


def test_chat_expander_sends_instructions_seed_and_key_and_cleans_the_answer(openai_server):
    fake, base = openai_server
    fake.answer = {"choices": [{"message": {"role": "assistant", "content": "Prompt: A red fox\ntrots."}}]}
    expanded = chat(base).expand(ExpansionRequest("text_to_audio", PROMPT, 42))
    assert expanded == "A red fox trots."
    body, headers = fake.requests[0]
    assert body["model"] == "local-model"
    assert body["seed"] == 42
    assert body["temperature"] == 0.7
    assert body["max_tokens"] == 64
    assert body["messages"][0]["role"] == "system"
    assert PROMPT in body["messages"][1]["content"]
    assert headers["Authorization"] == "Bearer sk-test-123"


def test_chat_expander_sends_the_image_only_when_asked(openai_server):
    fake, base = openai_server
    fake.answer = {"choices": [{"message": {"content": "A fox."}}]}
    image = np.zeros((16, 16, 3), dtype=np.uint8)
    chat(base, send_images=True).expand(ExpansionRequest("audio_to_video", PROMPT, 1, image))
    chat(base).expand(ExpansionRequest("audio_to_video", PROMPT, 1, image))
    with_image, without = (body["messages"][1]["content"] for body, _ in fake.requests)
    assert with_image[0]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert isinstance(without, str)


def test_a_timed_out_chat_expander_falls_back_to_the_original_prompt(openai_server, tiny_engine, monkeypatch):
    fake, base = openai_server
    fake.delay_s = 30.0  # far past the expander's timeout
    seen = []
    expander = chat(base, timeout_s=0.3)

    class Recording:
        def expand(self, request):
            seen.append(request)
            return expander.expand(request)

    monkeypatch.setattr(tiny_engine, "expander", Recording())
    image = ImageInput(np.full((64, 64, 3), 90, dtype=np.uint8))
    request = small_request(prompt=PROMPT, seed=4, image=image, enable_prompt_expansion=True)
    result = tiny_engine.generate(request)
    assert result.prompt == PROMPT
    assert result.frames is not None
    assert len(result.warnings) == 1
    assert "using the original prompt" in result.warnings[0]
    assert PROMPT not in result.warnings[0]
    # The engine handed over the request's seed and its first image.
    assert seen[0].seed == 4
    assert seen[0].image is image.pixels
