"""The ``store`` fixture of the security tests: each test runs on SQLite and on a real PostgreSQL server.

Import it into a test module (``from tests.security.stores import store``) to use it there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pipeline.sinks.store import Store, open_store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue(
        "postgres_db_url")
    s = await open_store(url)
    try:
        yield s
    finally:
        await s.close()
