"""The gateway's limits under a hostile agency, on real Apache Kafka with its default 1 MiB message limit.

A batch larger than the rate-limit burst, a story whose envelope would not fit in one broker message, and bodies
built to make the gateway echo what it should not: each gets a clear 4xx, and nothing reaches `wire.raw`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from pipeline.codec import decode
from pipeline.config import Settings
from pipeline.ingest.app import create_gateway_app, serve_in_background
from pipeline.ingest.service import payload_limit
from pipeline.sinks.store import Store
from pipeline.topics import RAW, topic_name
from schemas import RawSubmission
from tests.apikeys import issue_key
from tests.integration.harness import read_topic
from tests.security.conftest import Service

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

#: Texts that would show a driver error or a stack trace in a body.
DRIVER_TEXT = ("Error", "Traceback", "kafka", "errno", "sqlite", "asyncpg", "input_value")


@dataclass
class Gateway:
    settings: Settings
    http: httpx.AsyncClient
    store: Store
    key: str

    async def raw(self) -> list[RawSubmission]:
        assert self.settings.broker
        topic = topic_name(RAW, self.settings.topic_prefix)
        return [decode(RawSubmission, v) for v in await read_topic(self.settings.broker, topic)]


@pytest.fixture
async def gateway(kafka_bootstrap: str, service: Service) -> AsyncIterator[Gateway]:
    settings, store = await service(kafka_bootstrap)
    key = await issue_key(store, "AAA")
    server = await serve_in_background(create_gateway_app(settings, store))
    http = httpx.AsyncClient(base_url=server.url, timeout=60, headers={"X-API-Key": key})
    try:
        yield Gateway(settings, http, store, key)
    finally:
        await http.aclose()
        await server.stop()


def assert_clean(body: str) -> None:
    for text in DRIVER_TEXT:
        assert text not in body, (text, body[:500])


async def test_a_batch_over_the_burst_is_a_clear_413_and_writes_nothing(gateway: Gateway) -> None:
    burst = gateway.settings.gateway_rate_burst
    items = [{"content_type": "text/plain", "body": f"HEADLINE {i}\n\nbody"} for i in range(burst + 1)]
    over = await gateway.http.post("/v1/stories:batch", json={"items": items})
    assert over.status_code == 413, over.text
    assert over.json()["error"]["code"] == "too_many_items" and str(burst) in over.json()["error"]["message"]
    assert_clean(over.text)
    assert await gateway.raw() == []
    # A batch of exactly the burst is accepted whole.
    full = await gateway.http.post("/v1/stories:batch", json={"items": items[:burst]})
    assert full.status_code == 200 and full.json()["accepted"] == burst
    assert len(await gateway.raw()) == burst


async def test_a_story_too_large_for_one_broker_message_is_413_never_503(gateway: Gateway) -> None:
    limit = payload_limit(gateway.settings)
    assert limit < gateway.settings.max_payload_bytes  # the broker's limit is the tighter one
    for size in (800_000, limit + 1, 5_000_000):
        body = b"HEADLINE\n\n" + b"x" * (size - 10)
        response = await gateway.http.post("/v1/stories", content=body, headers={"Content-Type": "text/plain"})
        assert response.status_code == 413, (size, response.status_code, response.text[:300])
        assert response.json()["error"]["code"] == "too_large" and not response.json()["error"]["retryable"]
        assert_clean(response.text)
    # The largest story accepted fits: Kafka (default limits) acknowledges it.
    largest = b"HEADLINE\n\n" + b"x" * (limit - 10)
    ok = await gateway.http.post("/v1/stories", content=largest, headers={"Content-Type": "text/plain"})
    assert ok.status_code == 202, ok.text[:300]
    [on_topic] = await gateway.raw()
    assert on_topic.payload == largest
    # Inside a batch, the same story is refused per item with the same 413.
    batch = await gateway.http.post(
        "/v1/stories:batch", json={"items": [{"content_type": "text/plain", "body": "H\n\n" + "x" * limit}]}
    )
    assert batch.status_code == 200 and batch.json()["items"][0]["status"] == 413


async def test_error_bodies_echo_neither_input_nor_driver_text_nor_foreign_ids(gateway: Gateway) -> None:
    marker = "SECRET-" + uuid.uuid4().hex
    bad = await gateway.http.post("/v1/stories:batch", json={"items": [{"content_type": 5, "body": marker}]})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_batch"
    assert marker not in bad.text
    assert_clean(bad.text)
    # Another agency reusing the same Idempotency-Key gets its own submission, and never sees the first one's id.
    other = await issue_key(gateway.store, "BBB")
    first = await gateway.http.post(
        "/v1/stories", content=b"HEADLINE\n\nfirst", headers={"Content-Type": "text/plain", "Idempotency-Key": "k1"}
    )
    second = await gateway.http.post(
        "/v1/stories",
        content=b"HEADLINE\n\nsecond",
        headers={"Content-Type": "text/plain", "Idempotency-Key": "k1", "X-API-Key": other},
    )
    assert first.status_code == second.status_code == 202
    assert first.json()["submission_id"] not in second.text and second.json()["agency"] == "BBB"
    # A request that fails validation of a query parameter: the refused value is not echoed either.
    rejections = await gateway.http.get("/v1/rejections", params={"limit": marker})
    assert rejections.status_code == 422 and marker not in rejections.text
