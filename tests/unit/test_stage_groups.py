"""Which consumer group reads each topic, and what the lag monitor counts after an upgrade moved a stage into a
group of its own."""

from __future__ import annotations

from pipeline.config import Settings
from pipeline.ops.lag import LagMonitor
from pipeline.topics import CATALOGUE, DEDUPE_ANSWERS, DLQ, ENRICHED, NORMALISED, RAW, STAGE_INPUTS, consumer_group


def test_each_topic_is_read_by_one_group_of_the_app() -> None:
    assert consumer_group("wf", RAW) == "wf-normalise"
    assert consumer_group("wf", ENRICHED) == consumer_group("wf", DLQ) == "wf-store"
    assert consumer_group("wf", NORMALISED) == consumer_group("wf", DEDUPE_ANSWERS) == "wf"
    read = [spec for inputs in STAGE_INPUTS.values() for spec in inputs]
    assert len(read) == len(set(read)) and set(read) <= set(CATALOGUE)


def test_the_faust_groups_old_offsets_on_a_loops_topics_are_not_lag() -> None:
    monitor = LagMonitor(Settings(broker="127.0.0.1:9", app_id="wf", topic_prefix="p."))
    assert not monitor._reads("wf", "p.wire.raw")  # read by wf-normalise now
    assert monitor._reads("wf-normalise", "p.wire.raw")
    assert monitor._reads("wf", "p.wire.normalised")
    assert monitor._reads("other", "p.wire.raw")
