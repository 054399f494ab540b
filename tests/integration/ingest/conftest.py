"""Gateway fixtures: a real SQLite key store, real Apache Kafka, the gateway served by uvicorn on a free port."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipeline.broker.admin import ensure_topics
from pipeline.codec import decode
from pipeline.config import Settings
from pipeline.ingest.app import RunningServer, create_gateway_app, serve_in_background
from pipeline.ingest.keys import generate_key
from pipeline.sinks.store.interface import open_store
from pipeline.topics import RAW, topic_name
from schemas import RawSubmission
from tests.integration.harness import read_topic


@dataclass
class GatewayUnderTest:
    settings: Settings
    server: RunningServer
    http: httpx.AsyncClient
    store: Any
    #: API key of agency TCA.
    key: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def raw_topic(self) -> str:
        return topic_name(RAW, self.settings.topic_prefix)

    async def raw_messages(self) -> list[RawSubmission]:
        assert self.settings.broker is not None
        return [decode(RawSubmission, v) for v in await read_topic(self.settings.broker, self.raw_topic)]

    async def new_key(self, agency: str) -> str:
        key = generate_key()
        await self.store.add_agency_key(agency, key.key_id, key.key_hash)
        return key.token

    async def post(self, body: bytes, content_type: str | None = "text/plain", **headers: str) -> httpx.Response:
        h = {"X-API-Key": self.key, **{k.replace("_", "-"): v for k, v in headers.items()}}
        if content_type is not None:
            h["Content-Type"] = content_type
        return await self.http.post("/v1/stories", content=body, headers=h)


GatewayFactory = Callable[..., Awaitable[GatewayUnderTest]]


@pytest.fixture
async def gateway_factory(tmp_path: Path) -> AsyncIterator[GatewayFactory]:
    """``await gateway_factory(bootstrap, **settings)``: a gateway with its own topic prefix and key store."""
    made: list[GatewayUnderTest] = []

    async def make(bootstrap: str, create_topics: bool = True, **overrides: Any) -> GatewayUnderTest:
        tag = uuid.uuid4().hex[:8]
        store_url = f"sqlite:///{tmp_path / f'store-{tag}.sqlite3'}"
        settings = Settings(
            broker=bootstrap,
            topic_prefix=f"t{tag}.",
            data_dir=tmp_path,
            store_url=store_url,
            partitions=2,
            **overrides,
        )
        if create_topics:
            await ensure_topics(settings)
        store = await open_store(store_url)
        key = generate_key()
        await store.add_agency_key("TCA", key.key_id, key.key_hash)
        server = await serve_in_background(create_gateway_app(settings, store))
        http = httpx.AsyncClient(base_url=server.url, timeout=60)
        gw = GatewayUnderTest(settings, server, http, store, key.token)
        made.append(gw)
        return gw

    yield make
    for gw in made:
        await gw.http.aclose()
        await gw.server.stop()
        await gw.store.close()


@pytest.fixture
async def gateway(kafka_bootstrap: str, gateway_factory: GatewayFactory) -> GatewayUnderTest:
    return await gateway_factory(kafka_bootstrap)
