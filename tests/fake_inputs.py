"""A valid input for each endpoint family, as the API tests and the live-server client tests submit them
(the fake runner answers them; the audio is a header-only WAV that validation accepts)."""

from __future__ import annotations

import base64
from typing import Any

WAV_URI = "data:audio/wav;base64," + base64.b64encode(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)).decode()
INPUTS: dict[str, dict[str, Any]] = {
    "fal-ai/ltx-2.3-quality/text-to-audio": {"prompt": "a bell rings"},
    "fal-ai/ltx-2.3-quality/text-to-audio/lora": {"prompt": "a bell rings", "loras": []},
    "fal-ai/ltx-2.3-quality/audio-to-video/lora": {"prompt": "a singer", "audio_url": WAV_URI, "loras": []},
    "fal-ai/ltx-2.3-22b/audio-to-video": {"prompt": "a speaker", "audio_url": WAV_URI},
    "fal-ai/ltx-2.3-22b/text-to-video/lora": {"prompt": "a cowboy", "loras": []},
}
