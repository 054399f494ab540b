"""The stage loops' consumer settings on a broker given by address (Apache Kafka)."""

from __future__ import annotations

import pytest

from pipeline.app.loop import consumer_kwargs
from pipeline.config import Settings


def test_a_loop_fetch_waits_briefly_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """aiokafka keeps one fetch in flight per broker; records that arrive on a partition while a fetch for the other
    partitions is in flight are fetched only once it returns, which Apache Kafka does after the whole wait when those
    partitions stay empty. The default wait bounds that stall (a 1,500 ms default idled the worker during a drain)."""
    monkeypatch.delenv("WIREFEED_CONSUMER_FETCH_MAX_WAIT_MS", raising=False)
    kwargs = consumer_kwargs(Settings(broker="127.0.0.1:9092"))
    assert 0 < kwargs["fetch_max_wait_ms"] <= 100


def test_the_environment_sets_a_loop_fetch_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREFEED_CONSUMER_FETCH_MAX_WAIT_MS", "1500")
    assert consumer_kwargs(Settings(broker="127.0.0.1:9092"))["fetch_max_wait_ms"] == 1500
