"""Every served endpoint as a composition: field groups (fields_22b / fields_quality), a tier and a kind.

Read a line as "22b/image-to-video = the dev fields + image-to-video's fields, planned as image-to-video
on the dev tier". Names and titles derive from the endpoint id.
"""

from __future__ import annotations

from pydantic import BaseModel

from ltxserve.endpoints import fields_22b as B
from ltxserve.endpoints import fields_quality as Q
from ltxserve.endpoints.common import AudioOutput, ExtendVideoOutput, LTX2ExtendVideoOutput, VideoOutput
from ltxserve.endpoints.extend import extend_video
from ltxserve.endpoints.plans import (
    DEV,
    DISTILLED,
    QUALITY,
    Kind,
    Tier,
    audio_to_video,
    image_to_video,
    text_to_audio,
    text_to_video,
)
from ltxserve.endpoints.registry import Endpoint, typed_plan
from ltxserve.endpoints.schema import Group, compose

_FAMILIES = {  # id prefix → (title, model-name prefix)
    "fal-ai/ltx-2.3-quality/": ("LTX-2.3 Quality", "Quality"),
    "fal-ai/ltx-2.3-22b/distilled/": ("LTX-2.3 22B Distilled", "Ltx22bDistilled"),
    "fal-ai/ltx-2.3-22b/": ("LTX-2.3 22B", "Ltx22b"),
}


def endpoint(
    endpoint_id: str, tier: Tier, kind: Kind, *groups: Group, output: type[BaseModel] = VideoOutput
) -> Endpoint:
    """One catalogue entry; its file inputs are its `*_url` fields and `loras`."""
    prefix = next(p for p in _FAMILIES if endpoint_id.startswith(p))
    title, model_prefix = _FAMILIES[prefix]
    task = endpoint_id.removeprefix(prefix)
    words = task.removesuffix("/lora").split("-")
    lora = task.endswith("/lora")
    name = model_prefix + "".join(w.title() for w in words) + ("Lora" if lora else "") + "Input"
    model = compose(name, endpoint_id, *groups)
    return Endpoint(
        endpoint_id=endpoint_id,
        title=f"{title}: {' '.join(words)}" + (" with LoRAs" if lora else ""),
        input_model=model,
        output_model=output,
        output_field="audio" if output is AudioOutput else "video",
        file_fields=tuple(f for f in model.model_fields if f.endswith("_url") or f == "loras"),
        plan=typed_plan(model, lambda validated, media: kind(tier, validated, media)),
    )


_22B, _Q = "fal-ai/ltx-2.3-22b", "fal-ai/ltx-2.3-quality"


def dev(task: str, kind: Kind, *groups: Group) -> Endpoint:
    """A newer `22b/<task>`: the dev fields (every guidance control) plus the task's own."""
    return endpoint(f"{_22B}/{task}", DEV, kind, B.DEV, *groups, output=LTX2ExtendVideoOutput)


def distilled(task: str, kind: Kind, *groups: Group) -> Endpoint:
    """`22b/distilled/<task>`: the distilled fields (no steps, no guidance) plus the task's own."""
    return endpoint(
        f"{_22B}/distilled/{task}", DISTILLED, kind, B.DISTILLED, *groups, output=LTX2ExtendVideoOutput
    )


def quality(task: str, kind: Kind, *groups: Group) -> Endpoint:
    """A newer `quality/<task>`: the quality workflow's fields plus the task's own."""
    tail = (Q.PROMPTING, Q.OUTPUT)
    return endpoint(
        f"{_Q}/{task}", QUALITY, kind, Q.PROMPT, Q.VIDEO, *groups, *tail, output=ExtendVideoOutput
    )


# The seeds' field order and texts are their published documents' (SEED_* groups restate the differences).
SEEDS = (
    endpoint(f"{_Q}/text-to-audio", QUALITY, text_to_audio, Q.TEXT_TO_AUDIO, output=AudioOutput),
    endpoint(
        f"{_Q}/text-to-audio/lora", QUALITY, text_to_audio, Q.TEXT_TO_AUDIO, Q.LORAS, output=AudioOutput
    ),
    endpoint(
        f"{_Q}/audio-to-video/lora",
        QUALITY,
        audio_to_video,
        *(Q.PROMPT, Q.AUDIO_INPUTS, Q.VIDEO, Q.AUDIO_CONTROLS, Q.PROMPTING, Q.OUTPUT, Q.LORAS),
        Q.SEED_AUDIO_TO_VIDEO,
    ),
    endpoint(f"{_22B}/audio-to-video", DEV, audio_to_video, B.DEV, B.AUDIO_TO_VIDEO, B.SEED_22B, B.SEED_A2V),
    endpoint(
        f"{_22B}/text-to-video/lora",
        DEV,
        text_to_video,
        *(B.DEV, B.TEXT_TO_VIDEO, B.LORAS),
        B.SEED_22B,
        B.SEED_T2V,
    ),
)
LTX22B = (
    dev("text-to-video", text_to_video, B.TEXT_TO_VIDEO),
    dev("image-to-video", image_to_video, B.IMAGE_TO_VIDEO),
    dev("image-to-video/lora", image_to_video, B.IMAGE_TO_VIDEO, B.LORAS),
    dev("audio-to-video/lora", audio_to_video, B.AUDIO_TO_VIDEO, B.LORAS),
    dev("extend-video", extend_video, B.EXTEND_VIDEO),
    dev("extend-video/lora", extend_video, B.EXTEND_VIDEO, B.LORAS),
)
DISTILLED_22B = (
    distilled("text-to-video", text_to_video, B.TEXT_TO_VIDEO),
    distilled("text-to-video/lora", text_to_video, B.TEXT_TO_VIDEO, B.LORAS),
    distilled("image-to-video", image_to_video, B.IMAGE_TO_VIDEO),
    distilled("image-to-video/lora", image_to_video, B.IMAGE_TO_VIDEO, B.LORAS),
    distilled("audio-to-video", audio_to_video, B.AUDIO_TO_VIDEO),
    distilled("audio-to-video/lora", audio_to_video, B.AUDIO_TO_VIDEO, B.LORAS),
)
QUALITY_VIDEO = (
    quality("text-to-video", text_to_video),
    quality("text-to-video/lora", text_to_video, Q.LORAS),
    quality("image-to-video", image_to_video, Q.IMAGE_TO_VIDEO),
    quality("image-to-video/lora", image_to_video, Q.IMAGE_TO_VIDEO, Q.LORAS),
    quality("audio-to-video", audio_to_video, Q.AUDIO_INPUTS, Q.AUDIO_CONTROLS),
    quality("extend-video", extend_video, Q.EXTEND_VIDEO),
    quality("extend-video/lora", extend_video, Q.EXTEND_VIDEO, Q.LORAS),
)
CATALOGUE: tuple[Endpoint, ...] = SEEDS + LTX22B + DISTILLED_22B + QUALITY_VIDEO
