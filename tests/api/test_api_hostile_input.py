"""Hostile input at submit: each attack gets a clear fal-shaped 4xx naming the field, never a 500."""

from __future__ import annotations

import json
import time

import pytest

from ltxserve.testing.webhooks import WebhookReceiver

from ..fake_inputs import INPUTS
from .api_harness import T2A, Harness

pytestmark = pytest.mark.timeout(60)
T2V = "fal-ai/ltx-2.3-22b/text-to-video/lora"


def post_raw(h: Harness, app_id: str, text: str, **kw: object) -> object:
    return h.client.post(f"/queue/{app_id}", content=text, headers={"content-type": "application/json"}, **kw)  # type: ignore[arg-type]


def detail(response: object) -> dict[str, object]:
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    items = response.json()["detail"]  # type: ignore[attr-defined]
    assert isinstance(items, list)
    assert items
    return items[0]  # type: ignore[no-any-return]


def test_body_over_the_cap_is_413_before_it_is_read(make_harness) -> None:  # type: ignore[no-untyped-def]
    h: Harness = make_harness(workers=0, max_request_bytes=10_000)
    big = h.client.post(f"/queue/{T2A}", json={"prompt": "x" * 20_000})
    assert big.status_code == 413
    assert big.json()["error_type"] == "request_too_large"
    assert big.headers["x-fal-error-type"] == "request_too_large"
    assert h.client.post(f"/run/{T2A}", json={"prompt": "x" * 20_000}).status_code == 413
    assert h.client.post(f"/queue/{T2A}", json={"prompt": "fits"}).status_code == 200


def test_prompt_and_negative_prompt_lengths_are_capped(make_harness) -> None:  # type: ignore[no-untyped-def]
    h: Harness = make_harness(workers=0)
    item = detail(h.client.post(f"/queue/{T2V}", json={"prompt": "x" * 20_001, "loras": []}))
    assert item["loc"] == ["body", "prompt"]
    assert item["type"] == "string_too_long"
    assert len(json.dumps(item)) < 1000  # the 422 does not echo the whole prompt back
    neg = {"prompt": "a", "negative_prompt": "y" * 20_001, "loras": []}
    assert detail(h.client.post(f"/queue/{T2V}", json=neg))["loc"] == ["body", "negative_prompt"]
    assert h.client.post(f"/queue/{T2V}", json={"prompt": "x" * 20_000, "loras": []}).status_code == 200


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_non_finite_numbers_anywhere_are_422(harness: Harness, number: str) -> None:
    top = detail(post_raw(harness, T2V, f'{{"prompt": "a", "fps": {number}, "loras": []}}'))
    assert top["loc"] == ["body", "fps"] or top["type"] == "json_invalid"
    lora = f'{{"prompt": "a", "loras": [{{"path": "https://x.example/a.safetensors", "scale": {number}}}]}}'
    item = detail(post_raw(harness, T2V, lora))
    assert item["loc"] in (["body", "loras", 0, "scale"], ["body"])


def test_deep_nesting_is_422_at_any_depth(harness: Harness) -> None:
    for depth in (40, 100_000):
        text = '{"prompt": "a", "x": ' + "[" * depth + "]" * depth + "}"
        assert detail(post_raw(harness, T2A, text))["type"] in ("json_too_deep",)


@pytest.mark.parametrize("seed", [2**64, 10**30, -1, 2**63])
def test_seeds_outside_the_documented_range_are_422(harness: Harness, seed: int) -> None:
    item = detail(post_raw(harness, T2A, f'{{"prompt": "a", "seed": {seed}}}'))
    assert item["loc"] == ["body", "seed"]
    assert item["type"] == "seed_out_of_range"


def test_largest_seed_is_accepted_and_reported(harness: Harness) -> None:
    submitted = post_raw(harness, T2A, f'{{"prompt": "a", "seed": {2**63 - 1}}}').json()  # type: ignore[attr-defined]
    harness.wait(submitted)
    assert harness.client.get(harness.path(submitted["response_url"])).json()["seed"] == 2**63 - 1


def test_lone_surrogates_are_422_naming_the_field(harness: Harness) -> None:
    item = detail(post_raw(harness, T2A, '{"prompt": "a \\ud800 b"}'))
    assert item["loc"] == ["body", "prompt"]
    assert item["type"] == "string_unicode"
    item = detail(post_raw(harness, T2A, '{"prompt": "a", "\\udfff": 1}'))
    assert item["loc"] == ["body"]
    paired = post_raw(harness, T2A, '{"prompt": "a \\ud83d\\ude00 b"}')  # a real emoji as a pair
    assert paired.status_code == 200  # type: ignore[attr-defined]


def test_invalid_json_and_non_objects_are_422(harness: Harness) -> None:
    for text in ("{", "[1, 2]", '"prompt"', "\xff"):
        assert detail(post_raw(harness, T2A, text))["loc"] == ["body"]


@pytest.mark.parametrize("value", ["Infinity", "NaN", "1e400", "-Infinity"])
def test_lifecycle_header_non_finite_is_422(harness: Harness, value: str) -> None:
    header = f'{{"expiration_duration_seconds": {value}}}'
    response = harness.client.post(
        f"/queue/{T2A}", json={"prompt": "a"}, headers={"x-fal-object-lifecycle-preference": header}
    )
    item = detail(response)
    assert item["loc"][:2] == ["header", "x-fal-object-lifecycle-preference"]


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "soon"])
def test_request_timeout_header_must_be_finite_seconds(harness: Harness, value: str) -> None:
    response = harness.client.post(
        f"/queue/{T2A}", json={"prompt": "a"}, headers={"x-fal-request-timeout": value}
    )
    assert detail(response)["loc"] == ["header", "x-fal-request-timeout"]


def test_lifecycle_expires_media_only_not_the_job_record(make_harness) -> None:  # type: ignore[no-untyped-def]
    h: Harness = make_harness()
    header = json.dumps({"expiration_duration_seconds": 1})
    submitted = h.client.post(
        f"/queue/{T2A}", json={"prompt": "a"}, headers={"x-fal-object-lifecycle-preference": header}
    ).json()
    h.wait(submitted)
    url = h.path(h.client.get(h.path(submitted["response_url"])).json()["audio"]["url"])
    assert h.client.get(url).status_code == 200
    time.sleep(1.2)
    store = h.client.app.state.ltx.store  # type: ignore[attr-defined]
    storage = h.client.app.state.ltx.storage  # type: ignore[attr-defined]
    store.purge_expired()
    storage.purge_expired()
    assert h.client.get(url).status_code == 404  # the media expired
    result = h.client.get(h.path(submitted["response_url"]))
    assert result.status_code == 200
    assert result.json()["prompt"] == "a"  # the job record did not


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://10.0.0.1/hook",
        "ftp://example.com/hook",
        "/relative/hook",
        "http://localhost/hook",
    ],
)
def test_webhook_urls_the_guard_refuses_are_422_at_submit(harness: Harness, url: str) -> None:
    response = harness.client.post(f"/queue/{T2A}", params={"fal_webhook": url}, json={"prompt": "a"})
    assert detail(response)["loc"] == ["query", "fal_webhook"]


def test_uppercase_scheme_webhook_is_accepted_and_delivered_with_a_stable_id(make_harness) -> None:  # type: ignore[no-untyped-def]
    receiver = WebhookReceiver(failures=1)
    h: Harness = make_harness(fetch_allow_hosts=["127.0.0.1"])
    url = receiver.url.replace("http://", "HTTP://")
    submitted = h.client.post(f"/queue/{T2A}", params={"fal_webhook": url}, json={"prompt": "a"})
    assert submitted.status_code == 200, submitted.text
    receiver.wait(2)
    keys = {headers["Idempotency-Key"] for headers, _ in receiver.deliveries}
    assert keys == {submitted.json()["request_id"]}  # the retry repeats the id receivers dedupe by
    receiver.close()


def test_image_size_is_an_alias_of_video_size(harness: Harness) -> None:
    from ltxserve.endpoints import ENDPOINTS

    model = ENDPOINTS[T2V].input_model
    parsed = model.model_validate({"prompt": "a", "loras": [], "image_size": {"width": 320, "height": 256}})
    assert (parsed.video_size.width, parsed.video_size.height) == (320, 256)  # type: ignore[attr-defined]
    both = model.model_validate(
        {"prompt": "a", "loras": [], "image_size": "square", "video_size": "square_hd"}
    )
    assert both.video_size == "square_hd"  # type: ignore[attr-defined]
    bad = {"prompt": "a", "loras": [], "image_size": {"width": 10, "height": 256}}
    assert detail(harness.client.post(f"/queue/{T2V}", json=bad))["loc"][:2] == ["body", "video_size"]
    audio = {**INPUTS[T2A], "image_size": "square"}  # an endpoint without video_size ignores it
    assert harness.client.post(f"/queue/{T2A}", json=audio).status_code == 200
