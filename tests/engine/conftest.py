"""Engine fixtures: one engine on the tiny model per test session."""

import pytest


@pytest.fixture(scope="session")
def tiny_engine(tiny_model_dir):
    from ltxserve.engine.pipeline import Engine

    return Engine.load(tiny_model_dir)
