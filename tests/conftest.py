"""Session fixtures shared by every test package: the tiny model (built once) and the reference fixture."""

from pathlib import Path

import pytest

REFERENCE_TINY = Path(__file__).parent / "data" / "reference-tiny"


@pytest.fixture(scope="session")
def reference_tiny_dir() -> Path:
    """Lightricks' own tiny checkpoint folder (written by ltx-core 1.0.0)."""
    return REFERENCE_TINY


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our tiny LTX-2.3 model directory (seed 0), written once per test run."""
    from ltxserve.engine.tiny import write_tiny_model

    return write_tiny_model(tmp_path_factory.mktemp("tiny-model"), seed=0)


@pytest.fixture(scope="session")
def tiny_engine(tiny_model_dir: Path):
    """One engine on the tiny model for the whole run (loading it takes seconds)."""
    from ltxserve.engine.pipeline import Engine

    return Engine.load(tiny_model_dir)
