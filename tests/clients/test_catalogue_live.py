"""Every newer endpoint end to end: official Python client → live server → catalogue → engine (tiny model).

Each request is the smallest the endpoint accepts (64 px, 9 frames, 8 steps) so the whole set stays cheap;
the assertions are what a caller sees: the stored file, its measured size and length, the seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fal_client
import fal_client.client as fc
import httpx
import numpy as np
import pytest

from ..extend_assets import moving_frames, psnr, write_clip
from .live_server import KEY, LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
B, D, Q = "fal-ai/ltx-2.3-22b", "fal-ai/ltx-2.3-22b/distilled", "fal-ai/ltx-2.3-quality"
SMALL_22B = {"video_size": {"width": 64, "height": 64}, "use_multiscale": False, "num_frames": 9}
FAST_22B = {**SMALL_22B, "num_inference_steps": 8, "acceleration": "none"}
SMALL_Q = {"resolution": {"width": 64, "height": 64}, "num_frames": 9, "num_inference_steps": 8}
COMMON = {"prompt": "a red ball", "seed": 5, "enable_prompt_expansion": False}
# extend-video: a 33-frame source, a 17-frame segment of which 9 are context → 33 + 17 - 9 frames out.
SOURCE_FRAMES, EXTEND = 33, {"num_frames": 17, "num_context_frames": 9}


URL_CONSTANTS = ("RUN_URL_FORMAT", "QUEUE_URL_FORMAT", "REST_URL", "CDN_URL")


def _point_at(server: LiveServer) -> fal_client.SyncClient:
    """The README's snippet: the client module's URL constants rebound to the live server."""
    base = server.base_url
    urls = (f"{base}/run/", f"{base}/queue/", f"{base}/rest", f"{base}/cdn")
    for name, value in zip(URL_CONSTANTS, urls, strict=True):
        setattr(fc, name, value)
    return fal_client.SyncClient(key=KEY)


@pytest.fixture(scope="module")
def uploads(engine_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Start and end images, a 0.4 s tone and a 33-frame clip, uploaded through the client's own flow."""
    from PIL import Image

    from ltxserve.media import encode_audio

    folder = tmp_path_factory.mktemp("inputs")
    Image.fromarray(np.full((64, 128, 3), (200, 30, 30), np.uint8)).save(folder / "start.png")
    Image.fromarray(np.full((64, 128, 3), (30, 30, 200), np.uint8)).save(folder / "end.png")
    t = np.arange(6400) / 16000
    encode_audio((0.3 * np.sin(2 * np.pi * 300 * t))[None].astype(np.float32), 16000, folder / "tone.wav")
    write_clip(folder / "source.mp4", count=SOURCE_FRAMES)
    saved = {name: getattr(fc, name) for name in URL_CONSTANTS}
    client = _point_at(engine_server)
    names = ("start.png", "end.png", "tone.wav", "source.mp4")
    yield {name: client.upload_file(folder / name) for name in names}
    for name, value in saved.items():
        setattr(fc, name, value)


@pytest.fixture
def client(engine_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> fal_client.SyncClient:
    for name in URL_CONSTANTS:
        monkeypatch.setattr(fc, name, getattr(fc, name))  # restored after the test
    return _point_at(engine_server)


def arguments(endpoint_id: str, urls: dict[str, str]) -> dict[str, Any]:
    small = SMALL_Q if endpoint_id.startswith(Q) else SMALL_22B if endpoint_id.startswith(D) else FAST_22B
    fields: dict[str, Any] = {**COMMON, **small}
    if "image-to-video" in endpoint_id:
        fields |= {"image_url": urls["start.png"], "end_image_url": urls["end.png"]}
        fields.pop("end_image_url") if endpoint_id.startswith(Q) else None
    if "audio-to-video" in endpoint_id:
        fields |= {"audio_url": urls["tone.wav"], "image_url": urls["start.png"]}
    if "extend-video" in endpoint_id:
        fields |= {"video_url": urls["source.mp4"], **EXTEND}
    if endpoint_id.endswith("/lora"):
        fields["loras"] = []
    return fields


ENDPOINTS = [
    f"{B}/text-to-video",
    f"{B}/image-to-video",
    f"{B}/image-to-video/lora",
    f"{B}/audio-to-video/lora",
    f"{B}/extend-video",
    f"{B}/extend-video/lora",
    f"{D}/text-to-video",
    f"{D}/text-to-video/lora",
    f"{D}/image-to-video",
    f"{D}/image-to-video/lora",
    f"{D}/audio-to-video",
    f"{D}/audio-to-video/lora",
    f"{Q}/text-to-video",
    f"{Q}/text-to-video/lora",
    f"{Q}/image-to-video",
    f"{Q}/image-to-video/lora",
    f"{Q}/audio-to-video",
    f"{Q}/extend-video",
    f"{Q}/extend-video/lora",
]


@pytest.mark.parametrize("endpoint_id", ENDPOINTS)
def test_endpoint_end_to_end(
    client: fal_client.SyncClient, uploads: dict[str, str], endpoint_id: str
) -> None:
    output = client.subscribe(endpoint_id, arguments=arguments(endpoint_id, uploads))
    video = output["video"]
    data = httpx.get(video["url"], headers={"Authorization": f"Key {KEY}"}).content
    assert len(data) == video["file_size"] > 0
    assert video["content_type"] == "video/mp4"
    # audio-to-video follows the 0.4 s tone: 0.4 s x 24 fps → 9.6 → 9 frames on the 8k+1 grid.
    frames = SOURCE_FRAMES + 17 - 9 if "extend-video" in endpoint_id else 9
    assert (video["width"], video["height"], video["num_frames"]) == (64, 64, frames)
    assert output["seed"] == 5
    assert output["prompt"] == "a red ball"


def test_image_to_video_auto_size_follows_the_image(
    client: fal_client.SyncClient, uploads: dict[str, str]
) -> None:
    fields = {
        **arguments(f"{B}/image-to-video", uploads),
        "video_size": "auto",
        "interpolation_direction": "backward",
    }
    video = client.run(f"{B}/image-to-video", arguments=fields)["video"]
    assert (video["width"], video["height"]) == (128, 64)  # the 128x64 image's own size


def _frames(url: str) -> np.ndarray:
    from ltxserve.media.video_in import decode_video

    decoded = decode_video(httpx.get(url, headers={"Authorization": f"Key {KEY}"}).content)
    assert decoded.waveform is not None  # the stitched file keeps an audio track
    return decoded.frames


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_extend_video_reproduces_the_source(
    client: fal_client.SyncClient, uploads: dict[str, str], direction: str
) -> None:
    """The source round trip (upload, decode, stitch, H.264 out) keeps it frame-exact at its end of the video."""
    fields = {**arguments(f"{B}/extend-video", uploads), "video_size": "auto", "extend_direction": direction}
    frames = _frames(client.run(f"{B}/extend-video", arguments=fields)["video"]["url"])
    source = moving_frames(SOURCE_FRAMES)
    assert frames.shape == (SOURCE_FRAMES + 17 - 9, 64, 96, 3)  # auto: the source's own 96x64
    kept = frames[:SOURCE_FRAMES] if direction == "forward" else frames[-SOURCE_FRAMES:]
    off_by_one = frames[1 : SOURCE_FRAMES + 1] if direction == "forward" else frames[-SOURCE_FRAMES - 1 : -1]
    print(
        f"extend-video {direction}: context PSNR {psnr(kept, source):.1f} dB, one frame off {psnr(off_by_one, source):.1f} dB"
    )
    assert psnr(kept, source) > 30 > psnr(off_by_one, source)


def test_extend_video_over_the_budget_is_a_422(
    client: fal_client.SyncClient, uploads: dict[str, str]
) -> None:
    fields = {**arguments(f"{Q}/extend-video", uploads), "num_frames": 481, "resolution": "square_hd"}
    with pytest.raises(fal_client.client.FalClientHTTPError) as caught:
        client.run(f"{Q}/extend-video", arguments=fields)
    assert caught.value.status_code == 422
    assert caught.value.message[0]["loc"] == ["body", "num_frames"]
