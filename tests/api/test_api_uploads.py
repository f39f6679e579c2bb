"""Upload flows of both clients, done by hand, then the uploaded URL used as an input."""

from __future__ import annotations

from datetime import datetime

import pytest

from .api_harness import Harness

pytestmark = pytest.mark.timeout(60)
A2V = "fal-ai/ltx-2.3-22b/audio-to-video"
KEY = {"Authorization": "Key alice-key-0123456789"}
OTHER = {"Authorization": "Key bob-key-0123456789"}


@pytest.fixture
def secured(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    return make_harness(api_keys=["alice-key-0123456789", "bob-key-0123456789"])


def _use_as_audio(h: Harness, url: str, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    submitted = h.client.post(f"/queue/{A2V}", json={"prompt": "x", "audio_url": url}, headers=headers).json()
    h.wait(submitted, **headers)
    logs = h.client.get(h.path(submitted["status_url"]), params={"logs": 1}, headers=headers).json()
    return {"status": logs, "result": h.client.get(h.path(submitted["response_url"]), headers=headers)}


def test_python_cdn_flow(secured: Harness) -> None:
    token = secured.client.post(
        "/rest/storage/auth/token?storage_type=fal-cdn-v3", json={}, headers=KEY
    ).json()
    assert token["token_type"] == "Bearer"
    assert datetime.fromisoformat(token["expires_at"]).tzinfo is not None
    auth = {"Authorization": f"{token['token_type']} {token['token']}"}
    up = secured.client.post(
        secured.path(token["base_url"]) + "/files/upload",
        content=b"RIFF-audio",
        headers={**auth, "Content-Type": "audio/wav", "X-Fal-File-Name": "voice.wav"},
    )
    url = up.json()["access_url"]
    assert url.endswith("/voice.wav")
    served = secured.client.get(secured.path(url), headers=KEY)
    assert served.content == b"RIFF-audio"
    assert served.headers["content-type"] == "audio/wav"
    used = _use_as_audio(secured, url, KEY)
    assert used["result"].status_code == 200
    assert any("Read audio_url (10 bytes, audio/wav)" in line["message"] for line in used["status"]["logs"])
    # Another key's job cannot read this upload as its input.
    denied = _use_as_audio(secured, url, OTHER)
    assert denied["result"].json()["detail"][0]["type"] == "file_download_error"


def test_python_multipart_flow(secured: Harness) -> None:
    token = secured.client.post("/rest/storage/auth/token", json={}, headers=KEY).json()
    auth = {"Authorization": f"Bearer {token['token']}"}
    start = secured.client.post(
        secured.path(token["base_url"]) + "/files/upload/multipart",
        headers={**auth, "Content-Type": "audio/wav", "X-Fal-File-Name": "big.wav"},
    ).json()
    parts = []
    for n, chunk in enumerate([b"aaa", b"bbb", b"cc"], start=1):
        put = secured.client.put(
            secured.path(start["access_url"]) + f"/multipart/{start['uploadId']}/{n}",
            content=chunk,
            headers=auth,
        )
        parts.append({"partNumber": n, "etag": put.headers["etag"]})
    done = secured.client.post(
        secured.path(start["access_url"]) + f"/multipart/{start['uploadId']}/complete",
        json={"parts": parts},
        headers=auth,
    )
    assert done.status_code == 200
    assert secured.client.get(secured.path(start["access_url"]), headers=KEY).content == b"aaabbbcc"


def test_js_initiate_flow_and_multipart(secured: Harness) -> None:
    init = secured.client.post(
        "/rest/storage/upload/initiate?storage_type=fal-cdn-v3",
        json={"content_type": "image/png", "file_name": "a.png"},
        headers=KEY,
    ).json()
    assert (
        secured.client.get(secured.path(init["file_url"]), headers=KEY).status_code == 404
    )  # not uploaded yet
    assert secured.client.put(secured.path(init["upload_url"]), content=b"png").status_code == 200
    assert secured.client.get(secured.path(init["file_url"]), headers=KEY).content == b"png"
    assert (
        secured.client.put(secured.path(init["upload_url"]), content=b"again").status_code == 404
    )  # one shot
    multi = secured.client.post(
        "/rest/storage/upload/initiate-multipart?storage_type=fal-cdn-v3",
        json={"content_type": "audio/wav", "file_name": "b.wav"},
        headers=KEY,
    ).json()
    base, _, query = secured.path(multi["upload_url"]).partition("?")
    parts = [secured.client.put(f"{base}/{n}?{query}", content=c).json() for n, c in ((1, b"12"), (2, b"34"))]
    assert parts[0]["partNumber"] == 1
    assert parts[0]["etag"]
    assert secured.client.post(f"{base}/complete?{query}", json={"parts": parts}).status_code == 200
    assert secured.client.get(secured.path(multi["file_url"]), headers=KEY).content == b"1234"


def test_uploads_need_a_key_and_a_valid_token(secured: Harness) -> None:
    assert secured.client.post("/rest/storage/auth/token", json={}).status_code == 401
    assert secured.client.post("/rest/storage/upload/initiate", json={}).status_code == 401
    bad = secured.client.post(
        "/cdn/files/upload", content=b"x", headers={"Authorization": "Bearer forged.1.abc"}
    )
    assert bad.status_code == 401


def test_upload_size_limit(make_harness) -> None:  # type: ignore[no-untyped-def]
    h = make_harness(max_upload_bytes=10)
    init = h.client.post("/rest/storage/upload/initiate", json={"file_name": "x.bin"}).json()
    assert h.client.put(h.path(init["upload_url"]), content=b"x" * 11).status_code == 413
