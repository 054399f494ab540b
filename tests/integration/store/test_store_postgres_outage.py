"""PostgreSQL going away and coming back: calls fail with StoreUnavailableError, nothing half-written, and the
same store object works again once the server is back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from store_factory import story

from pipeline.api.read import read_router
from pipeline.config import Settings
from pipeline.sinks.store import Store, StoreUnavailableError, StoryQuery, WriteResult, open_store
from schemas import EnrichedStory
from tests.apikeys import authenticator, issue_key
from tests.fixtures.postgres import PostgresServer

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_store(postgres_db_url: str) -> AsyncIterator[Store]:
    s = await open_store(postgres_db_url)
    try:
        yield s
    finally:
        await s.close()


async def write_with_retry(store: Store, batch: list[EnrichedStory], attempts: int = 40) -> tuple[WriteResult, int]:
    """What a sink does: retry the same batch until the database takes it. Returns (result, failures)."""
    for failures in range(attempts):
        try:
            return await store.write_batch(batch), failures
        except StoreUnavailableError:
            await asyncio.sleep(0.25)
    raise AssertionError(f"store still unavailable after {attempts} attempts")


async def test_outage_and_recovery(pg_store: Store, postgres_server: PostgresServer) -> None:
    before = [story(f"before-{i}", minutes=i) for i in range(5)]
    during = [story(f"during-{i}", minutes=10 + i) for i in range(5)]
    assert (await pg_store.write_batch(before)).inserted == 5

    app = FastAPI()
    # The key is checked once before the outage and then served from the key cache.
    app.include_router(read_router(lambda: pg_store, authenticator(pg_store, Settings(gateway_key_cache_seconds=600))))
    transport = httpx.ASGITransport(app=app)
    headers = {"X-API-Key": await issue_key(pg_store, "newsroom", "reader")}
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as client:
        assert (await client.get("/stories")).status_code == 200
    postgres_server.stop()
    try:
        with pytest.raises(StoreUnavailableError):
            await pg_store.write_batch(during)
        with pytest.raises(StoreUnavailableError):
            await pg_store.query(StoryQuery())
        async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers) as client:
            r = await client.get("/stories")
            assert r.status_code == 503 and r.headers["retry-after"]
            # The body names an incident in the server log, never the driver's error.
            assert "Error" not in r.json()["detail"] and "connect" not in r.json()["detail"].lower()
    finally:
        postgres_server.start()

    result, _ = await write_with_retry(pg_store, during)
    assert result.inserted == 5 and result.ignored == 0
    replay, _ = await write_with_retry(pg_store, before + during)
    assert replay.ignored == 10 and replay.inserted == 0
    assert await pg_store.count_stories() == 10
    page = await pg_store.query(StoryQuery(limit=100))
    assert sorted(s.uri for s in page.items) == sorted(s.uri for s in before + during)


async def test_open_fails_cleanly_while_down(postgres_server: PostgresServer, postgres_db_url: str) -> None:
    postgres_server.stop()
    try:
        with pytest.raises(StoreUnavailableError):
            await open_store(postgres_db_url)
    finally:
        postgres_server.start()
    s = await open_store(postgres_db_url)
    assert await s.count_stories() == 0
    await s.close()


async def test_session_url_is_a_working_database(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql://") and "@127.0.0.1:" in postgres_url
    assert callable(getattr(postgres_url, "stop", None)) and callable(getattr(postgres_url, "start", None))
    s = await open_store(postgres_url)
    try:
        await s.write_batch([story("session-db")])
        assert (await s.get_story("session-db")) is not None
    finally:
        await s.close()
