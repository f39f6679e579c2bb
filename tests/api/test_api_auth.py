"""API keys: 401 without a valid key; one key never sees another key's jobs or files."""

from __future__ import annotations

import pytest

from ltxserve.settings import Settings

from .api_harness import T2A, Harness

pytestmark = pytest.mark.timeout(60)
KEY_A, KEY_B = "alice-key-0123456789", "bob:secret-0123456789"
A, B = {"Authorization": f"Key {KEY_A}"}, {"Authorization": f"Key {KEY_B}"}


@pytest.fixture
def secured(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    return make_harness(api_keys=[KEY_A, KEY_B])


def test_missing_or_wrong_key_is_401(secured: Harness) -> None:
    for headers in ({}, {"Authorization": "Key wrong-key-123456"}, {"Authorization": f"Bearer {KEY_A}"}):
        response = secured.client.post(f"/queue/{T2A}", json={"prompt": "a"}, headers=headers)
        assert response.status_code == 401
        assert response.headers["x-fal-request-id"]
        assert response.json()["error_type"] == "unauthorized"


def test_other_keys_get_404_for_jobs_and_file_urls_are_capabilities(secured: Harness) -> None:
    submitted = secured.client.post(f"/queue/{T2A}", json={"prompt": "a"}, headers=A).json()
    secured.wait(submitted, **A)
    for url in (submitted["status_url"], submitted["response_url"], submitted["status_url"] + "/stream"):
        assert secured.client.get(secured.path(url), headers=B).status_code == 404
    assert secured.client.put(secured.path(submitted["cancel_url"]), headers=B).status_code == 404
    output = secured.client.get(secured.path(submitted["response_url"]), headers=A).json()
    file_path = secured.path(output["audio"]["url"])
    # As on fal's CDN: whoever holds the URL (a webhook receiver, `<video src>`, curl) can fetch it.
    for headers in (A, B, {}):
        assert secured.client.get(file_path, headers=headers).status_code == 200
    guessed = file_path.rsplit("/", 2)[0] + "/AAAAAAAAAAAAAAAAAAAAAAAA/audio.wav"
    assert secured.client.get(guessed).status_code == 404


def test_private_files_restores_key_only_access(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(api_keys=[KEY_A, KEY_B], private_files=True)
    output = harness.client.post(f"/run/{T2A}", json={"prompt": "a"}, headers=A).json()
    file_path = harness.path(output["audio"]["url"])
    assert harness.client.get(file_path, headers=A).status_code == 200
    assert harness.client.get(file_path, headers=B).status_code == 404
    assert harness.client.get(file_path).status_code == 404


def test_id_secret_key_form_works(secured: Harness) -> None:
    response = secured.client.post(f"/run/{T2A}", json={"prompt": "a"}, headers=B)
    assert response.status_code == 200


def test_placeholder_keys_and_open_binding_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        Settings(api_keys=["changeme"])
    with pytest.raises(ValueError):
        Settings(data_dir=tmp_path).check_bind("0.0.0.0")
    Settings(data_dir=tmp_path, insecure=True).check_bind("0.0.0.0")
    Settings(data_dir=tmp_path, api_keys=[KEY_A]).check_bind("0.0.0.0")
