"""Every message the pipeline produces fits Kafka's default message limit.

- Tags do not grow with the text: a country keeps its first spans only (``mentions`` counts them all).
- Every catalogue topic is created with ``max.message.bytes`` = ``max_message_bytes`` (default 1,000,000).
- On Apache Kafka with its default limits, a 5 MB story (sent compressed, as a producer may) is rejected with
  reason ``too_large``, its rejection fits the DLQ, and the stories after it on the same partition get through.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from pipeline.codec import encode
from pipeline.config import Settings
from pipeline.ingest.publisher import make_submission
from pipeline.stages.dedupe import DedupeIndex, DedupeState
from pipeline.stages.enrich import MAX_SPANS_PER_COUNTRY
from pipeline.stages.normalise import NormaliseOptions
from pipeline.stages.process import process
from pipeline.topics import CATALOGUE, DLQ, RAW
from tests.integration.harness import PipelineRun, read_topic, wait_until
from tests.paths import SEED

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_a_story_dense_with_mentions_stays_small_on_wire_enriched() -> None:
    sentence = "Officials in Russia, Kazakhstan and China met their counterparts from Kyrgyzstan on Monday. "
    body = "\n\n".join(sentence * 5 for _ in range(400))  # ≈ 188 KB, 2,000 mentions of each country
    payload = f"Talks in Bishkek\n\n{body}".encode()
    raw = make_submission(payload, "TCA", content_type="text/plain; charset=utf-8", received_at=NOW)
    [story] = process(raw, DedupeIndex(DedupeState()), NormaliseOptions(), NOW).enriched
    size = len(encode(story))
    assert size < 2 * len(payload), f"{len(payload)} bytes of text became a {size}-byte message"
    assert size < Settings().max_message_bytes
    by_code = {c.code: c for c in story.countries}
    for code in ("RU", "KZ", "CN", "KG"):
        assert by_code[code].mentions >= 2000, by_code[code]
        assert len(by_code[code].spans) == MAX_SPANS_PER_COUNTRY


@pytest.mark.kafka
@pytest.mark.slow
async def test_a_5_mb_story_is_rejected_and_the_partition_moves_on(kafka_bootstrap: str, tmp_path: Path) -> None:
    run = PipelineRun(bootstrap=kafka_bootstrap, data_dir=tmp_path / "data", partitions=1)
    try:
        await run.create_topics()
        limit = Settings().max_message_bytes
        wanted = {run.topic(spec): str(limit) for spec in CATALOGUE}

        async def topic_limits() -> dict[str, str | None] | None:
            """max.message.bytes of every catalogue topic (None until the brokers describe them all)."""
            admin = AIOKafkaAdminClient(bootstrap_servers=run.bootstrap)
            await admin.start()
            try:
                described = await admin.describe_configs(
                    [ConfigResource(ConfigResourceType.TOPIC, name) for name in wanted])
            finally:
                await admin.close()
            found = {res[3]: {e[0]: e[1] for e in res[4]}.get("max.message.bytes") for r in described
                     for res in r.resources}
            return found if found == wanted else None

        assert await wait_until(topic_limits, 30, "max.message.bytes on every topic") == wanted

        run.start_worker()
        big = ("Officials met in Bishkek on Monday to discuss trade. " * 100_000).encode()[:5_000_000]
        huge = make_submission(b"Big story\n\n" + big, "TCA", content_type="text/plain; charset=utf-8")
        goods = [make_submission(SEED.read_bytes().replace(b"Kyrgyzstan", f"Kyrgyzstan ({n})".encode(), 1), "TCA",
                                 content_type="text/plain; charset=utf-8") for n in range(3)]
        # One partition: the good stories come after the huge one in the same log.
        producer = AIOKafkaProducer(bootstrap_servers=run.bootstrap, acks="all", compression_type="gzip",
                                    max_request_size=16_000_000)
        await producer.start()
        try:
            for raw in (huge, *goods):
                await producer.send_and_wait(run.topic(RAW), encode(raw), key=raw.submission_id.encode())
        finally:
            await producer.stop()

        async def all_good_stored() -> bool:
            return await run.stored_count() >= len(goods)

        await wait_until(all_good_stored, 180, "the stories after the 5 MB one stored", run)
        docs = [orjson.loads(v) for v in await read_topic(run.bootstrap, run.topic(DLQ))]
        [doc] = [d for d in docs if d["submission_id"] == huge.submission_id]
        assert (doc["stage"], doc["reason"]) == ("normalise", "too_large"), doc
        original = base64.b64decode(doc["original"])
        assert 0 < len(original) < limit and huge.payload.startswith(original)
        assert "truncated" in doc["message"]
        assert run.workers[0].poll() is None
    finally:
        run.stop()
