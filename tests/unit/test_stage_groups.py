"""Which consumer group reads each topic, and what the lag monitor counts after an upgrade moved a stage into a
group of its own."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.app import dedupe_agent
from pipeline.config import Settings
from pipeline.ops.lag import LagMonitor
from pipeline.topics import (
    CATALOGUE,
    DEDUPE_ANSWERS,
    DEDUPE_NEAR,
    DLQ,
    ENRICHED,
    NORMALISED,
    NOTIFICATIONS,
    RAW,
    STAGE_INPUTS,
    consumer_group,
)


def test_each_topic_is_read_by_one_group_of_the_app() -> None:
    assert consumer_group("wf", RAW) == "wf-normalise"
    assert consumer_group("wf", ENRICHED) == consumer_group("wf", DLQ) == "wf-store"
    assert consumer_group("wf", NORMALISED) == consumer_group("wf", DEDUPE_ANSWERS) == "wf-dedupe"
    assert consumer_group("wf", DEDUPE_NEAR) == "wf-dedupe-near"
    read = [spec for inputs in STAGE_INPUTS.values() for spec in inputs]
    assert len(read) == len(set(read)) and set(read) == set(CATALOGUE) - {NOTIFICATIONS}  # only subscribers read it


def test_dedupes_two_inputs_have_the_same_partition_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer on `wire.dedupe.answers` must reach the worker holding its story's `wire.normalised` partition:
    the one consumer of both, with range assignment, gets partition n of each only when the counts agree."""
    settings = Settings(broker="127.0.0.1:9", partitions=6)
    assert dedupe_agent.co_partitioned(settings) == 6
    odd = dataclasses.replace(DEDUPE_ANSWERS, partitions=3)
    monkeypatch.setitem(STAGE_INPUTS, "dedupe", (NORMALISED, odd))
    with pytest.raises(RuntimeError, match="same number of partitions"):
        dedupe_agent.co_partitioned(settings)


def test_the_faust_groups_old_offsets_on_a_loops_topics_are_not_lag() -> None:
    monitor = LagMonitor(Settings(broker="127.0.0.1:9", app_id="wf", topic_prefix="p."))
    assert not monitor._reads("wf", "p.wire.raw")  # read by wf-normalise now
    assert monitor._reads("wf-normalise", "p.wire.raw")
    assert not monitor._reads("wf", "p.wire.normalised")  # read by wf-dedupe now
    assert monitor._reads("wf-dedupe", "p.wire.normalised")
    assert monitor._reads("other", "p.wire.raw")
