"""The benchmark harness measures what it claims: every message counted, baselines transform and forward all
messages, profile samples land in the right bucket. Runs on the embedded broker with small message counts."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from benchmarks.baselines import TopicCounter, bench_settings, measure_drain, preload, raw_messages, run_baseline
from benchmarks.bench_pipeline import percentile, summarise_profile
from pipeline.topics import NORMALISED, RAW, topic_name
from tests.integration.harness import read_topic

pytestmark = pytest.mark.embedded


async def test_counter_counts_every_message_written(embedded_bootstrap: str, tmp_path: Path) -> None:
    """End offsets are no message count on the embedded broker; the counter reads the topic instead."""
    messages = raw_messages(357, seed=3)
    settings = bench_settings(embedded_bootstrap, tmp_path, partitions=4, idempotence=False)
    await preload(settings, messages)
    async with TopicCounter(settings, topic_name(RAW, settings.topic_prefix)) as counter:
        drain = await measure_drain(counter.count, len(messages), timeout=30)
    assert drain.done == len(messages)
    assert drain.complete


@pytest.mark.slow
async def test_baseline_a_forwards_every_message_transformed(embedded_bootstrap: str, tmp_path: Path) -> None:
    messages = raw_messages(300, seed=5)
    row = await run_baseline("raw", embedded_bootstrap, messages, tmp_path, partitions=4, idempotence=False, timeout=60)
    assert row["done"] == 300
    # The output topic of that run holds each submission once, with the added field.
    prefix = row["topic_prefix"]
    values = await read_topic(embedded_bootstrap, topic_name(NORMALISED, prefix))
    docs = [orjson.loads(v) for v in values]
    assert sorted(d["submission_id"] for d in docs) == sorted(k.decode() for k, _ in messages)
    assert {d["seen_by"] for d in docs} == {"baseline"}


def test_profile_buckets_first_match_wins(tmp_path: Path) -> None:
    raw = tmp_path / "p.txt"
    raw.write_text(
        "main (m.py:1);agent (pipeline/app/normalise_agent.py:30);"
        "normalise_all (pipeline/stages/normalise/__init__.py:57);finish (f.py:1);"
        "detect_language (pipeline/stages/normalise/language.py:28) 30\n"
        "main (m.py:1);agent (a.py:1);normalise_all (pipeline/stages/normalise/__init__.py:57) 10\n"
        "main (m.py:1);Sender._send_produce_req (aiokafka/producer/sender.py:288) 50\n"
        "main (m.py:1);select (selectors.py:468) 10\n"
    )
    shares = {b["bucket"]: b["share"] for b in summarise_profile(raw)}
    assert shares["normalise: language detection (py3langid)"] == pytest.approx(0.3)
    assert shares["normalise: parse, clean, build Story"] == pytest.approx(0.1)
    assert shares["Kafka produce (aiokafka sender, socket writes)"] == pytest.approx(0.5)
    assert shares["event loop, other"] == pytest.approx(0.1)
    assert next(iter(shares)) == "Kafka produce (aiokafka sender, socket writes)"


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(list(reversed(values)), 95) == 95.0
    assert percentile([7.0], 99) == 7.0
