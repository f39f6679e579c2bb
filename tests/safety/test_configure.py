"""Settings → the worker's safety checker and expander."""

from ltxserve.safety.configure import chat_expander, expansion_options, safety_checker
from ltxserve.settings import Settings


def test_settings_reach_the_checker_and_the_policy_file_lives_in_the_data_dir(tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        safety_force=True,
        safety_nsfw_threshold=0.5,
        safety_moderation_url="http://127.0.0.1:9/v1/moderations",
    )
    checker = safety_checker(settings)
    assert checker.config.force
    assert checker.config.nsfw_threshold == 0.5
    assert checker.enabled(requested=False)
    assert checker.moderation is not None
    assert checker.policy.path == tmp_path / "safety" / "prompt-policy.txt"


def test_generate_uses_the_default_list_without_creating_a_data_dir(tmp_path):
    checker = safety_checker(Settings(data_dir=tmp_path / "data"), standalone=True)
    assert checker.policy.path is None
    assert checker.policy.violates("bestiality")
    assert not (tmp_path / "data").exists()


def test_the_chat_expander_is_used_only_when_configured():
    assert chat_expander(Settings()) is None
    settings = Settings(
        expansion_chat_url="http://127.0.0.1:9/v1/chat/completions",
        expansion_chat_model="m",
        expansion_timeout_s=3,
        expansion_max_new_tokens=100,
    )
    expander = chat_expander(settings)
    assert expander is not None
    assert expander.endpoint.timeout_s == 3
    assert expander.options.max_new_tokens == 100
    assert expansion_options(settings).temperature == 0.7
