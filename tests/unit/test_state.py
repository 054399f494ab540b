"""Staged table writes: held back until flush, then applied and sent to the changelog partition they belong to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.app.state import PartitionView, Staged


@dataclass
class FakeTable:
    data: dict[str, Any] = field(default_factory=dict)
    changelog: list[tuple[int, str, Any]] = field(default_factory=list)

    def send_changelog(self, partition: int, key: str, value: Any, **kw: Any) -> None:
        self.changelog.append((partition, key, value))


def test_writes_are_held_until_flush() -> None:
    table, staged = FakeTable(), Staged()
    view = PartitionView(table, staged, 3)
    view["a"] = {"x": 1}
    assert view["a"] == {"x": 1} and "a" in view
    assert table.data == {} and table.changelog == []
    assert staged.flush() == 1
    assert table.data == {"3|a": {"x": 1}}
    assert table.changelog == [(3, "3|a", {"x": 1})]


def test_deleting_a_stored_key_sends_a_tombstone() -> None:
    table = FakeTable(data={"1|a": "old"})
    staged = Staged()
    view = PartitionView(table, staged, 1)
    del view["a"]
    assert "a" not in view and table.data == {"1|a": "old"}
    staged.flush()
    assert table.data == {}
    assert table.changelog == [(1, "1|a", None)]


def test_a_key_written_and_deleted_before_flush_sends_nothing() -> None:
    table, staged = FakeTable(), Staged()
    view = PartitionView(table, staged, 0)
    view["waiting"] = {"answers": {}}
    view["waiting"] = {"answers": {"k": []}}
    del view["waiting"]
    view["kept"] = 1
    staged.flush()
    assert table.data == {"0|kept": 1}
    assert table.changelog == [(0, "0|kept", 1)]


def test_views_are_partition_local() -> None:
    table, staged = FakeTable(data={"0|a": 1, "1|a": 2, "1|b": 3}), Staged()
    one = PartitionView(table, staged, 1)
    one["c"] = 4
    del one["b"]
    assert sorted(one) == ["a", "c"] and len(one) == 2
    assert sorted(PartitionView(table, staged, 0)) == ["a"]
