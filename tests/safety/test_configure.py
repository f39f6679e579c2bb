"""Settings → the worker's safety checker and expander."""

from ltxserve.safety.configure import safety_checker
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
