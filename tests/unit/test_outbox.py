"""Outbox: a batch's sends are queued without waiting, and flush returns only when every one is acknowledged."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from pipeline.app.outbox import Outbox


@dataclass
class FakeProducer:
    """Returns one future per send, resolved (or failed) only when the test says the broker acknowledged it."""

    sent: list[tuple[str, bytes | None, bytes]] = field(default_factory=list)
    futures: list[asyncio.Future[Any]] = field(default_factory=list)

    async def send(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None,
                   timestamp: float | None, headers: Any) -> asyncio.Future[Any]:
        assert partition is None and timestamp is None and headers is None  # the default partitioner decides
        assert value is not None
        self.sent.append((topic, key, value))
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.futures.append(fut)
        return fut


async def test_send_queues_without_waiting_for_the_broker() -> None:
    producer = FakeProducer()
    out = Outbox(producer)
    await out.send("t", b"k1", b"v1")
    await out.send("u", None, b"v2")
    assert producer.sent == [("t", b"k1", b"v1"), ("u", None, b"v2")]
    assert len(out) == 2 and out.sent == 2
    assert not any(f.done() for f in producer.futures)


async def test_flush_returns_only_after_every_ack() -> None:
    producer = FakeProducer()
    out = Outbox(producer)
    for i in range(3):
        await out.send("t", None, b"%d" % i)
    flush = asyncio.ensure_future(out.flush())
    producer.futures[0].set_result("ok")
    producer.futures[2].set_result("ok")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not flush.done()  # one output is still unacknowledged
    producer.futures[1].set_result("ok")
    await flush
    assert len(out) == 0


async def test_flush_raises_a_failed_send_after_waiting_for_all() -> None:
    producer = FakeProducer()
    out = Outbox(producer)
    await out.send("t", None, b"a")
    await out.send("t", None, b"b")
    producer.futures[0].set_exception(RuntimeError("broker said no"))
    flush = asyncio.ensure_future(out.flush())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not flush.done()  # the other send is still in flight: wait for it too
    producer.futures[1].set_result("ok")
    with pytest.raises(RuntimeError, match="broker said no"):
        await flush


async def test_acks_in_before_the_flush_are_read_without_waiting_and_the_first_failure_raised() -> None:
    producer = FakeProducer()
    out = Outbox(producer)
    for value in (b"a", b"b", b"c", b"d"):
        await out.send("t", None, value)
    producer.futures[0].set_result("ok")
    producer.futures[1].set_exception(RuntimeError("first refusal"))
    producer.futures[2].set_exception(RuntimeError("second refusal"))
    flush = asyncio.ensure_future(out.flush())
    await asyncio.sleep(0)
    assert not flush.done()  # the fourth is still in flight
    producer.futures[3].set_result("ok")
    with pytest.raises(RuntimeError, match="first refusal"):
        await flush
    assert all(f.done() for f in producer.futures)
    producer.futures.clear()
    await out.send("t", None, b"e")
    producer.futures[0].set_result("ok")
    await out.flush()  # every ack in already: returns without waiting on the broker
    assert len(out) == 0


async def test_empty_flush_is_a_no_op() -> None:
    await Outbox(FakeProducer()).flush()


async def test_a_flush_waiting_long_names_the_topics_it_waits_for(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("pipeline.app.outbox.SLOW_ACK_S", 0.05)
    producer = FakeProducer()
    out = Outbox(producer)
    await out.send("notify.a", b"k", b"1")
    await out.send("notify.b", b"k", b"2")
    producer.futures[1].set_result("ok")
    flush = asyncio.ensure_future(out.flush())
    await asyncio.sleep(0.12)
    assert not flush.done()
    warnings = [r.getMessage() for r in caplog.records if r.name == "wirefeed.outbox"]
    assert warnings and all("1 of 2 messages not acknowledged" in w and "(topics: notify.a)" in w for w in warnings)
    producer.futures[0].set_result("ok")
    await asyncio.wait_for(flush, 1)
    assert len(out) == 0
