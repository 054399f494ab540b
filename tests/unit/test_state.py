"""Staged table writes: held back until flush, written to the changelog partition they belong to and
acknowledged, then applied in memory; per-entry tables write one record per changed bucket entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from faust.serializers import codecs

from pipeline.app.state import PartitionView, Record, Staged, StateTable
from pipeline.stages.dedupe.entrylog import entry_id


@dataclass
class Changelog:
    records: list[Record] = field(default_factory=list)
    fail: bool = False

    async def write(self, records: list[Record]) -> None:
        if self.fail:
            raise ConnectionError("no acknowledgement")
        self.records.extend(records)

    def decoded(self) -> list[tuple[int, Any, Any]]:
        return [(p, codecs.loads("json", k), None if v is None else codecs.loads("json", v))
                for _, p, k, v in self.records]  # fmt: skip


async def test_writes_are_held_until_flush() -> None:
    table, staged, log = StateTable("t-changelog", {}), Staged(), Changelog()
    view = PartitionView(table, staged, 3)
    view["a"] = {"x": 1}
    assert view["a"] == {"x": 1} and "a" in view
    assert table.data == {} and log.records == []
    assert await staged.flush(log) == 1
    assert table.data == {"3|a": {"x": 1}}
    assert log.decoded() == [(3, "3|a", {"x": 1})]
    assert log.records[0][0] == "t-changelog"


async def test_nothing_is_applied_when_the_changelog_does_not_acknowledge() -> None:
    table, staged = StateTable("t", {"0|a": 1}), Staged()
    view = PartitionView(table, staged, 0)
    view["a"] = 2
    view["b"] = 3
    with pytest.raises(ConnectionError):
        await staged.flush(Changelog(fail=True))
    assert table.data == {"0|a": 1}


async def test_deleting_a_stored_key_sends_a_tombstone() -> None:
    table, staged, log = StateTable("t", {"1|a": "old"}), Staged(), Changelog()
    view = PartitionView(table, staged, 1)
    del view["a"]
    assert "a" not in view and table.data == {"1|a": "old"}
    await staged.flush(log)
    assert table.data == {}
    assert log.decoded() == [(1, "1|a", None)]


async def test_a_key_written_and_deleted_before_flush_sends_nothing() -> None:
    table, staged, log = StateTable("t", {}), Staged(), Changelog()
    view = PartitionView(table, staged, 0)
    view["waiting"] = {"answers": {}}
    view["waiting"] = {"answers": {"k": []}}
    del view["waiting"]
    view["kept"] = 1
    await staged.flush(log)
    assert table.data == {"0|kept": 1}
    assert log.decoded() == [(0, "0|kept", 1)]


def test_views_are_partition_local() -> None:
    table, staged = StateTable("t", {"0|a": 1, "1|a": 2, "1|b": 3}), Staged()
    one = PartitionView(table, staged, 1)
    one["c"] = 4
    del one["b"]
    assert sorted(one) == ["a", "c"] and len(one) == 2
    assert sorted(PartitionView(table, staged, 0)) == ["a"]


ENTRY_A = "k0DKoz219BIH1bgQeXsUB9XiQABBurn:tca:1"
ENTRY_B = "k0DKoz219BIH1bgQeXsUB9XiQABBurn:ap:2@3"


async def test_a_per_entry_table_writes_only_the_entries_that_changed() -> None:
    table, log = StateTable("near", {"2|JqpM": ENTRY_A}, per_entry=True), Changelog()
    staged = Staged()
    PartitionView(table, staged, 2)["JqpM"] = f"{ENTRY_A} {ENTRY_B}"
    await staged.flush(log)
    assert log.decoded() == [(2, f"2|JqpM|{entry_id(ENTRY_B)}", ENTRY_B)]
    staged = Staged()
    del PartitionView(table, staged, 2)["JqpM"]
    await staged.flush(log)
    assert log.decoded()[1:] == [(2, f"2|JqpM|{entry_id(ENTRY_A)}", None), (2, f"2|JqpM|{entry_id(ENTRY_B)}", None)]
    recovered = StateTable("near", {}, per_entry=True)
    recovered.recover((k, v) for _, k, v in log.decoded()[:1])
    assert recovered.data == {"2|JqpM": ENTRY_B}
    recovered.recover((k, v) for _, k, v in log.decoded()[1:])
    assert recovered.data == {}
