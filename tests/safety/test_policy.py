"""The prompt policy term list: whole words and phrases, case-insensitive, operator-editable."""

import os

import pytest

from ltxserve.safety.policy import DEFAULT_POLICY, PromptPolicy, parse_policy


@pytest.fixture
def policy_file(tmp_path):
    path = tmp_path / "safety" / "prompt-policy.txt"
    path.parent.mkdir()
    path.write_text("# refused terms\n\nshotgun\nblood bath\nnud*\n")
    return path


@pytest.mark.parametrize(
    ("prompt", "refused"),
    [
        ("A SHOTGUN on the wall", True),
        ("shotguns on the wall", False),  # whole words: the plural is another word
        ("a blood   bath", True),  # a phrase matches across any whitespace
        ("a bloodbath", False),
        ("a nude portrait", True),
        ("nudity", True),  # a trailing * matches any ending
        ("denude the tree", False),
        ("a calm lake at dawn", False),
    ],
)
def test_terms_match_whole_words_and_phrases_ignoring_case(policy_file, prompt, refused):
    assert PromptPolicy(policy_file).violates(prompt) is refused


def test_the_default_file_is_written_on_first_use(tmp_path):
    path = tmp_path / "data" / "safety" / "prompt-policy.txt"
    policy = PromptPolicy(path)
    assert not policy.violates("a grape vineyard")
    assert policy.violates("a Rape scene")
    assert path.read_text() == DEFAULT_POLICY


def test_edits_apply_without_a_restart(policy_file):
    policy = PromptPolicy(policy_file)
    assert not policy.violates("a purple elephant")
    policy_file.write_text("purple elephant\n")
    os.utime(policy_file, ns=(1, 1))  # a distinct mtime even on coarse-clock file systems
    assert policy.violates("a Purple Elephant")
    assert not policy.violates("a shotgun")


def test_comments_blank_lines_and_lone_wildcards_are_not_terms():
    assert parse_policy("# x\n\n  fox  \n*\n# y\nred deer\n") == ["fox", "red deer"]
    assert not PromptPolicy.__new__(PromptPolicy)._compile("# only comments\n")
