"""Real offset gaps on Apache Kafka: transaction markers on `wire.raw` and records deleted by retention before the
group read them. In both, every deliverable story is stored and the group's commit passes the last record of every
partition (nothing stuck)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.structs import OffsetAndMetadata

from benchmarks.corpus import Corpus, CorpusStory
from pipeline.codec import encode
from pipeline.ingest.publisher import make_submission
from pipeline.kafka import client_kwargs
from pipeline.topics import RAW, consumer_group
from tests.integration.harness import PipelineRun, read_records, wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def submissions(stories: Iterable[CorpusStory]) -> list[tuple[bytes, bytes]]:
    """(key, value) of the `wire.raw` message for each story, as the publisher writes it."""
    out = []
    for story in stories:
        raw = make_submission(story.payload, story.agency, format_hint=story.fmt,  # type: ignore[arg-type]
                              content_type=story.content_type)
        out.append((raw.submission_id.encode(), encode(raw)))
    return out


async def publish_plain(run: PipelineRun, messages: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(**client_kwargs(run.settings), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(run.topic(RAW), value, key=key)
    finally:
        await producer.stop()


async def committed_offsets(run: PipelineRun, topic: str) -> dict[int, int | None]:
    """The committed offsets of ``topic`` (`wire.raw`) in the group that reads it."""
    group = consumer_group(run.settings.app_id, RAW)  # the only topic checked here
    consumer = AIOKafkaConsumer(bootstrap_servers=run.bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        return {p: await consumer.committed(TopicPartition(topic, p)) for p in range(run.partitions)}
    finally:
        await consumer.stop()


async def commit_passes_last_records(run: PipelineRun, topic: str) -> bool:
    """True when the group's committed offset is past the last record of every partition of ``topic``."""
    last: dict[int, int] = {}
    for record in await read_records(run.bootstrap, topic):
        last[record.partition] = max(last.get(record.partition, -1), record.offset)
    committed = await committed_offsets(run, topic)
    return all((committed[p] or 0) > offset for p, offset in last.items())


async def test_a_transactional_trusted_producer_on_wire_raw_leaves_no_partition_stuck(kafka_bootstrap: str,
                                                                                     tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = PipelineRun(bootstrap=kafka_bootstrap, data_dir=tmp_path / "data")
    stories = list(Corpus(seed=23).stories(40))
    try:
        await run.create_topics()
        run.start_worker()
        producer = AIOKafkaProducer(**client_kwargs(run.settings), acks="all",
                                    transactional_id=f"trusted-{run.tag}")
        await producer.start()
        try:
            messages = submissions(stories)
            for i in range(0, len(messages), 4):  # 10 transactions: each leaves a commit marker per partition
                async with producer.transaction():
                    for key, value in messages[i:i + 4]:
                        await producer.send(run.topic(RAW), value, key=key)
        finally:
            await producer.stop()
        raw = run.topic(RAW)
        records = await read_records(run.bootstrap, raw)
        assert len(records) == len(stories)
        ends = await _end_offsets(run, raw)
        assert sum(ends.values()) > len(records), "the log holds no transaction markers"

        await wait_until(lambda: _stored(run, len(stories)), 240, f"{len(stories)} stories stored", run)
        await wait_until(lambda: commit_passes_last_records(run, raw), 60, "the commit past every record", run)
    finally:
        run.stop()


async def test_records_deleted_by_retention_before_the_group_read_them_are_counted_and_skipped(
        kafka_bootstrap: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = PipelineRun(bootstrap=kafka_bootstrap, data_dir=tmp_path / "data")
    corpus = list(Corpus(seed=29).stories(36))
    read, deleted, later = corpus[:12], corpus[12:24], corpus[24:]
    raw = run.topic(RAW)
    try:
        await run.create_topics()
        worker = run.start_worker()
        await publish_plain(run, submissions(read))
        await wait_until(lambda: _stored(run, len(read)), 240, f"{len(read)} stories stored", run)
        await wait_until(lambda: commit_passes_last_records(run, raw), 60, "the commit past every record", run)
        run.stop_worker(worker)

        # Written while no worker runs, then deleted from the log (as retention would) before the group reads them.
        await publish_plain(run, submissions(deleted))
        ends = await _end_offsets(run, raw)
        admin = AIOKafkaAdminClient(**client_kwargs(run.settings), request_timeout_ms=10_000)
        await admin.start()
        try:
            await admin.delete_records({TopicPartition(raw, p): RecordsToDelete(end) for p, end in ends.items()})
        finally:
            await admin.close()
        await publish_plain(run, submissions(later))

        run.start_worker()
        await wait_until(lambda: _stored(run, len(read) + len(later)), 240,
                         f"{len(read) + len(later)} stories stored", run)
        await wait_until(lambda: commit_passes_last_records(run, raw), 60, "the commit past every record", run)
        logs = "\n".join(p.read_text(errors="replace") for p in sorted(run.data_dir.glob("worker-*.log")))
        counts = [int(n) for n in re.findall(rf"{re.escape(raw)}\[\d+\]: (\d+) records \(offsets \d+\.\.\d+\) were "
                                             r"deleted by retention", logs)]
        assert sum(counts) == len(deleted), logs[-4000:]
    finally:
        run.stop()


async def test_an_upgrade_continues_from_the_faust_groups_offsets(kafka_bootstrap: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A deployment whose Faust group read `wire.raw` up to its end: the normalise loop's new group has no offsets
    and starts from the Faust group's, so only the stories written after are processed."""
    run = PipelineRun(bootstrap=kafka_bootstrap, data_dir=tmp_path / "data")
    corpus = list(Corpus(seed=31).stories(24))
    before, after = corpus[:12], corpus[12:]
    raw = run.topic(RAW)
    try:
        await run.create_topics()
        await publish_plain(run, submissions(before))
        ends = await _end_offsets(run, raw)
        old = AIOKafkaConsumer(bootstrap_servers=run.bootstrap, group_id=run.settings.app_id,
                               enable_auto_commit=False)
        await old.start()
        try:
            old.assign([TopicPartition(raw, p) for p in ends])
            await old.commit({TopicPartition(raw, p): OffsetAndMetadata(end, "") for p, end in ends.items()})
        finally:
            await old.stop()
        await publish_plain(run, submissions(after))

        run.start_worker()
        await wait_until(lambda: _stored(run, len(after)), 240, f"{len(after)} stories stored", run)
        await wait_until(lambda: commit_passes_last_records(run, raw), 60, "the commit past every record", run)
        assert await run.stored_count() == len(after)  # none of the stories the old group had read
        assert f"continuing from group {run.settings.app_id}'s" in run.logs(tail=None)
    finally:
        run.stop()


async def _stored(run: PipelineRun, n: int) -> bool:
    return await run.stored_count() >= n


async def _end_offsets(run: PipelineRun, topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=run.bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(run.partitions)]
        ends = await consumer.end_offsets(tps)
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()
