"""Changelog restore: offsets are read before any partition is assigned, and only partitions with records are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import TopicPartition
from faust.serializers import codecs

from pipeline.app import restore as restore_module
from pipeline.app.state import StateTable
from pipeline.config import Settings

#: Every FakeConsumer made, last one last.
MADE: list[FakeConsumer] = []


@dataclass
class Rec:
    offset: int
    key: bytes
    value: bytes


class FakeConsumer:
    """The calls ``restore`` makes, on a log of one record at offset 0 of partition 1 (partition 0 empty)."""

    def __init__(self, **_: Any) -> None:
        self.calls: list[str] = []
        self.assigned: list[TopicPartition] = []
        self.positions: dict[TopicPartition, int] = {}
        MADE.append(self)

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def assign(self, tps: list[TopicPartition]) -> None:
        self.calls.append("assign")
        self.assigned = list(tps)

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        self.calls.append("end_offsets" + ("" if not self.assigned else " after assign"))
        return {tp: 1 if tp.partition == 1 else 0 for tp in tps}

    async def beginning_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        self.calls.append("beginning_offsets" + ("" if not self.assigned else " after assign"))
        return {tp: 0 for tp in tps}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        assert tp in self.assigned
        self.positions[tp] = offset

    async def getmany(self, *tps: TopicPartition, timeout_ms: int) -> dict[TopicPartition, list[Rec]]:
        out = {}
        for tp in tps:
            if tp.partition == 1 and self.positions[tp] == 0:
                out[tp] = [Rec(0, bytes(codecs.dumps("json", "1|a")), bytes(codecs.dumps("json", {"x": 1})))]
                self.positions[tp] = 1
        return out

    async def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]


async def test_offsets_before_the_assignment_and_only_partitions_with_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(restore_module, "AIOKafkaConsumer", FakeConsumer)
    table = StateTable("t-changelog", {"0|old": 1})
    read = await restore_module.restore(Settings(broker="localhost:9"), [table], [0, 1])
    consumer = MADE[-1]
    assert consumer.calls == ["end_offsets", "beginning_offsets", "assign"]
    assert consumer.assigned == [TopicPartition("t-changelog", 1)]
    assert read == 1
    assert table.data == {"1|a": {"x": 1}}


async def test_nothing_to_read_assigns_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(restore_module, "AIOKafkaConsumer", FakeConsumer)
    assert await restore_module.restore(Settings(broker="localhost:9"), [StateTable("t", {})], [0]) == 0
    assert MADE[-1].calls == ["end_offsets", "beginning_offsets"]
