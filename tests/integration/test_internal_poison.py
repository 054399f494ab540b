"""Malformed messages on the pipeline's own topics (`wire.normalised`, `wire.enriched`, `wire.duplicates`) go to
`wire.dlq` with a reason and the original bytes; the agents keep running and the next good story gets through."""

from __future__ import annotations

import base64

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from pipeline.topics import DLQ, DUPLICATES, ENRICHED, NORMALISED
from tests.integration.harness import PipelineRun, read_topic, wait_until
from tests.paths import SEED

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

#: (topic, bytes, stage the rejection names)
POISON = [
    (NORMALISED, b"not json at all", "dedupe"),
    (NORMALISED, b'{"uri": "x:1", "headline": 7}', "dedupe"),
    (ENRICHED, b"[1, 2, 3", "store"),
    (ENRICHED, b'{"uri": "x:2", "version": 1}', "store"),
    (DUPLICATES, b'{"verdict": "duplicate"}', "store"),
]


async def test_malformed_internal_messages_go_to_the_dlq(kafka_bootstrap: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = PipelineRun(bootstrap=kafka_bootstrap, data_dir=tmp_path / "data")
    try:
        await run.create_topics()
        run.start_worker()
        producer = AIOKafkaProducer(bootstrap_servers=run.bootstrap, acks="all")
        await producer.start()
        try:
            for spec, value, _ in POISON:
                await producer.send_and_wait(run.topic(spec), value, key=b"poison")
        finally:
            await producer.stop()
        await run.publish(SEED.read_bytes(), "TCA", content_type="text/plain; charset=utf-8")

        await wait_until(run.stored_count, 120, "the good story in the store", run)
        dlq = run.topic(DLQ)

        async def all_rejected() -> list[bytes] | None:
            values = await read_topic(run.bootstrap, dlq)
            return values if len(values) >= len(POISON) else None

        rejections = [orjson.loads(v) for v in await wait_until(all_rejected, 60, "every poison message on the DLQ",
                                                                 run)]
        by_original = {doc["original"]: doc for doc in rejections}
        for spec, value, stage in POISON:
            doc = by_original[base64.b64encode(value).decode()]
            assert doc["stage"] == stage, doc
            assert doc["reason"] == "bad_envelope", doc
            assert doc["source_topic"] == run.topic(spec) and doc["message"], doc
        assert await run.stored_count() == 1
        assert run.workers[0].poll() is None  # the worker is still running
    finally:
        run.stop()
