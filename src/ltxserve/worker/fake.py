"""A runner without a model, for tests and trying the API: reads the inputs, steps, stores a small file."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel

from ltxserve.endpoints import Endpoint
from ltxserve.worker.runner import JobCancelled, RunContext

# Magic bytes so that the stored files carry their stated types (an ftyp box; a RIFF/WAVE header).
FAKE_MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(64)
FAKE_WAV = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\xbb\x00\x00\x00w\x01\x00\x02\x00\x10\x00data\x00\x00\x00\x00"
CRASH_PROMPT = "fake:crash"


class FakeRunner:
    """Honours the protocol around a job (inputs, progress, cancel, outputs) without generating anything."""

    def __init__(self, endpoints: dict[str, Endpoint], step_s: float = 0.05, steps: int = 8) -> None:
        self.endpoints, self.step_s, self.steps = endpoints, step_s, steps

    def load(self) -> None:
        """Nothing to load."""

    def run(self, endpoint_id: str, input: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
        endpoint = self.endpoints[endpoint_id]
        params = endpoint.input_model.model_validate(input)
        self._read_inputs(params, endpoint.file_fields, ctx)
        if getattr(params, "prompt", "") == CRASH_PROMPT:
            raise RuntimeError("fake engine crash")
        # Steps asked for explicitly are honoured (slow jobs for cancel tests); otherwise a few quick ones.
        total = int(input.get("num_inference_steps") or self.steps)
        for step in range(1, total + 1):
            if ctx.should_cancel():
                raise JobCancelled()
            time.sleep(self.step_s)
            ctx.progress("denoise", step, total)
        seed = getattr(params, "seed", None) or 42
        prompt = str(getattr(params, "prompt", ""))
        if endpoint.output_field == "audio":
            audio = ctx.store_output(FAKE_WAV, "audio/wav", "audio.wav", {"duration": 0.0})
            return {"audio": audio, "seed": seed, "prompt": prompt}
        extra = {"width": 64, "height": 64, "fps": 24.0, "duration": 0.0, "num_frames": 1}
        video = ctx.store_output(FAKE_MP4, "video/mp4", "video.mp4", extra)
        return {"video": video, "seed": seed, "prompt": prompt}

    def _read_inputs(self, params: BaseModel, fields: tuple[str, ...], ctx: RunContext) -> None:
        for field in fields:
            value = getattr(params, field, None)
            if field == "loras":
                for index, lora in enumerate(value or []):
                    data = ctx.read_input(("body", "loras", index, "path"), lora.path)
                    ctx.log(f"Read LoRA {index} ({len(data.data)} bytes)")
            elif value:
                data = ctx.read_input(("body", field), value)
                ctx.log(f"Read {field} ({len(data.data)} bytes, {data.content_type})")
