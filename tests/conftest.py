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


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster (installed server binaries; fails when missing) with a migrated template."""
    from ltxserve.jobs.backends import migrate_database
    from ltxserve.testing.postgres import ThrowawayPostgres

    cluster = ThrowawayPostgres().start()
    migrate_database(cluster.create_database("ltxserve_template"))
    yield cluster
    cluster.stop()


@pytest.fixture
def database_url(postgres, request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database for one test (a copy of the template: milliseconds)."""
    import re

    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:40]
    return postgres.create_database(f"t{id(request)}_{name}", template="ltxserve_template")


@pytest.fixture(scope="session")
def s3_server():
    """An in-process S3 server (moto) with one bucket; its AWS_* variables set for this test run."""
    from ltxserve.testing.s3 import InProcessS3

    server = InProcessS3().start()
    server.apply_env()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tiny_distilled_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model's distilled variant (seed 0: the dev weights with the distilled LoRA fused in)."""
    from ltxserve.engine.tiny import write_tiny_model

    return write_tiny_model(tmp_path_factory.mktemp("tiny-distilled"), seed=0, variant="distilled")
