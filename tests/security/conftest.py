"""Fixtures shared by the hostile-caller tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from pipeline.broker.admin import ensure_topics
from pipeline.config import Settings
from pipeline.sinks.store import Store, open_store

#: ``await service(broker, **overrides)``: settings and an open store for a gateway or server under test.
Service = Callable[..., Awaitable[tuple[Settings, Store]]]


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    """Settings for a service on ``broker`` isolated to this test (own topic prefix, one partition per topic,
    SQLite store under ``tmp_path``; keyword arguments override any setting), with its topics created and its
    store opened. The stores are closed after the test, once the fixtures that use them are torn down."""
    opened: list[Store] = []

    async def make(broker: str, **overrides: object) -> tuple[Settings, Store]:
        fields: dict[str, object] = {
            "broker": broker,
            "topic_prefix": f"sec{uuid.uuid4().hex[:8]}.",
            "data_dir": tmp_path,
            "store_url": f"sqlite:///{tmp_path / 'store.sqlite3'}",
            "partitions": 1,
            **overrides,
        }
        settings = Settings(**fields)  # type: ignore[arg-type]
        await ensure_topics(settings)
        store = await open_store(settings.resolved_store_url)
        opened.append(store)
        return settings, store

    yield make
    for store in opened:
        await store.close()
