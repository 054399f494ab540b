"""The agency client against the real gateway (uvicorn, SQLite keys, Apache Kafka)."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from pipeline.broker.embedded import free_port
from pipeline.ingest.client import AgencyClient, Backoff, GatewayError, Story
from tests.integration.ingest.conftest import GatewayFactory, GatewayUnderTest
from tests.paths import SAMPLES, SEED

pytestmark = pytest.mark.kafka


def quick(retries: int) -> Backoff:
    return Backoff(retries=retries, base=0.01, cap=0.05)


async def test_publish_sends_an_idempotency_key_so_a_repeat_is_written_once(gateway: GatewayUnderTest) -> None:
    async with AgencyClient(gateway.url, gateway.key) as client:
        story = Story(SEED.read_bytes())
        first = await client.publish(story)
        again = await client.publish(story)  # same Story, same key: e.g. a retry after a lost response
        other = await client.publish(SEED.read_bytes())  # new Story, new key
    assert first.submission_id == again.submission_id and again.replayed and not first.replayed
    assert other.submission_id != first.submission_id
    counts = Counter(r.submission_id for r in await gateway.raw_messages())
    assert counts == {first.submission_id: 1, other.submission_id: 1}


async def test_content_type_is_guessed_from_the_payload(gateway: GatewayUnderTest) -> None:
    async with AgencyClient(gateway.url, gateway.key) as client:
        ninjs = await client.publish({"uri": "urn:x:1", "headline": "H", "body_text": "B"})
        xml = await client.publish((SAMPLES / "afp.com_newsml1.2_sample.xml").read_bytes())
        text = await client.publish("ASTANA (TCA) - Headline\n\nBody.")
    assert (ninjs.format_hint, xml.format_hint, text.format_hint) == ("ninjs", "auto", "text")
    assert xml.flagged and not text.flagged


async def test_429_is_retried_after_retry_after(kafka_bootstrap: str, gateway_factory: GatewayFactory) -> None:
    gw = await gateway_factory(kafka_bootstrap, gateway_rate_per_second=2.0, gateway_rate_burst=1)
    async with AgencyClient(gw.url, gw.key, backoff=Backoff(retries=5, base=0.05, cap=2.0)) as client:
        results = [await client.publish(f"H{i}\n\nbody {i}") for i in range(3)]
    assert client.retries >= 2  # the bucket holds one story: the second and third had to wait
    assert len({r.submission_id for r in results}) == 3
    assert len(await gw.raw_messages()) == 3


async def test_503_is_retried_then_raised(gateway_factory: GatewayFactory) -> None:
    gw = await gateway_factory(f"127.0.0.1:{free_port()}", create_topics=False, gateway_publish_timeout_ms=200)
    async with AgencyClient(gw.url, gw.key, backoff=quick(2)) as client:
        with pytest.raises(GatewayError) as err:
            await client.publish(SEED.read_bytes())
    assert err.value.status == 503 and err.value.code == "broker_unavailable"
    assert client.retries == 2


async def test_client_errors_are_not_retried(gateway: GatewayUnderTest) -> None:
    async with AgencyClient(gateway.url, gateway.key, backoff=quick(3)) as client:
        with pytest.raises(GatewayError) as err:
            await client.publish(b"\x89PNG....", "image/png")
    assert err.value.status == 415 and client.retries == 0
    async with AgencyClient(gateway.url, "wf_wrong", backoff=quick(3)) as anonymous:
        with pytest.raises(GatewayError) as err:
            await anonymous.publish(SEED.read_bytes())
    assert err.value.status == 401 and anonymous.retries == 0


async def test_connection_failures_are_retried_then_raised() -> None:
    async with AgencyClient(f"http://127.0.0.1:{free_port()}", "wf_x", backoff=quick(2)) as client:
        with pytest.raises(httpx.TransportError):
            await client.publish(SEED.read_bytes())
    assert client.retries == 2


async def test_publish_batch_returns_results_in_order(gateway: GatewayUnderTest) -> None:
    stories = [Story(f"H{i}\n\nbody {i}") for i in range(5)] + [Story(b"\xff\x00binary", "image/png")]
    async with AgencyClient(gateway.url, gateway.key) as client:
        result = await client.publish_batch(stories)
        replay = await client.publish_batch(stories[:2])
    assert [i.status for i in result.items] == [202] * 5 + [415]
    assert [i.index for i in result.items] == list(range(6))
    assert result.accepted == 5 and result.rejected == 1
    assert all(i.result is not None and i.result.replayed for i in replay.items)
    assert len(await gateway.raw_messages()) == 5


async def test_publish_batch_retries_items_the_broker_refused(gateway_factory: GatewayFactory) -> None:
    gw = await gateway_factory(f"127.0.0.1:{free_port()}", create_topics=False, gateway_publish_timeout_ms=200)
    async with AgencyClient(gw.url, gw.key, backoff=quick(2)) as client:
        result = await client.publish_batch([Story("H\n\nbody"), Story("bad", "image/png")])
    assert [i.status for i in result.items] == [503, 415]
    assert client.retries == 2  # only the 503 item was sent again, twice
