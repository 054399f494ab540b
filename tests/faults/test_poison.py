"""Fault 5: hostile input interleaved with good stories.

Seeded hostile submissions (broken JSON/XML, XXE, billion laughs, wrong and mixed encodings, over-size and
over-deep bodies, random bytes, valid-looking ninjs with absurd field values) plus Kafka messages that are not
submission envelopes at all, interleaved with good corpus stories. Every bad one is on `wire.dlq` with the reason
the pure stages give it, every good one is stored, the one worker never restarts and its memory stays bounded.
5 MB bodies are refused by the publisher (the broker's message size limit) before they reach `wire.raw`.
"""

from __future__ import annotations

import asyncio
import base64
import time

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from pipeline.ingest.publisher import PublishError, RawPublisher, make_submission
from pipeline.kafka import client_kwargs
from pipeline.topics import DLQ, RAW
from tests.faults.common import (
    FaultRow,
    FaultRun,
    LagWatch,
    corpus_submissions,
    judge,
    publish_stream,
    record,
    reference,
    rng_for,
    rss_bytes,
    size,
    wait_notified,
    wait_stored,
)
from tests.faults.poison import MUST_REJECT, poison
from tests.integration.harness import read_topic

pytestmark = [pytest.mark.slow, pytest.mark.kafka]

BAD = size(1000, 10_000)
GOOD = size(100, 1000)
NOT_ENVELOPES = size(20, 100)
LIMIT = 256_000  # WIREFEED_MAX_PAYLOAD_BYTES for the run: over-size bodies still fit the broker's 1 MB messages
RSS_LIMIT = 1_000_000_000


async def test_poison_messages_go_to_the_dlq_and_good_ones_are_stored(kafka_bootstrap: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = rng_for("poison")
    run = FaultRun(bootstrap=kafka_bootstrap, data_dir=tmp_path / "data", partitions=4,
                   extra_env={"WIREFEED_MAX_PAYLOAD_BYTES": str(LIMIT)})  # fmt: skip
    settings = run.settings.model_copy(update={"max_payload_bytes": LIMIT})
    good = corpus_submissions(GOOD, seed=303)
    bad, kinds = [], {}
    for _ in range(BAD):
        kind, body, fmt, ctype = poison(rng, LIMIT)
        raw = make_submission(body, "BADCO", format_hint=fmt, content_type=ctype)  # type: ignore[arg-type]
        bad.append(raw)
        kinds[raw.submission_id] = kind
    stream = list(bad)
    for i, raw in enumerate(good):  # good stories at random places in the stream
        stream.insert(rng.randint(0, len(bad) + i), raw)
    exp = reference(stream, settings)
    rejected_ids = set()  # what the pure stages refuse, one submission at a time
    for raw in bad:
        one = reference([raw], settings)
        assert one.rejected == 1 or kinds[raw.submission_id] not in MUST_REJECT, kinds[raw.submission_id]
        if one.rejected:
            rejected_ids.add(raw.submission_id)
    not_envelopes = [rng.randbytes(rng.randint(0, 3000)) for _ in range(NOT_ENVELOPES)]

    await run.create_topics()
    worker = run.start_worker()
    rss: list[int] = []
    try:
        async with LagWatch(run.settings) as lag:
            producer = AIOKafkaProducer(**client_kwargs(run.settings), acks="all")
            await producer.start()
            try:
                for junk in not_envelopes:
                    await producer.send_and_wait(run.topic(RAW), junk)
            finally:
                await producer.stop()
            sampler = asyncio.create_task(_sample_rss(worker.pid, rss))
            await publish_stream(run, stream, batch=100)
            refused = 0
            async with RawPublisher(run.settings) as pub:  # 5 MB bodies: refused before the broker
                for _ in range(3):
                    try:
                        await pub.publish(make_submission(rng.randbytes(5_000_000), "BADCO"))
                    except PublishError:
                        refused += 1
            assert refused == 3
            t0 = time.monotonic()
            await wait_stored(run, exp, timeout=size(300, 1200))
            dlq = await _wait_dlq(run, len(rejected_ids) + len(not_envelopes), timeout=300)
            recovery = time.monotonic() - t0
            await wait_notified(run, timeout=120)
            sampler.cancel()
            verdict = await judge(run, exp, len(stream) + len(not_envelopes))

        by_id = {d["submission_id"]: d for d in dlq if d.get("submission_id")}
        missing = [sid for sid in rejected_ids if sid not in by_id]
        assert not missing, f"{len(missing)} bad submissions not on the DLQ, e.g. {kinds[missing[0]]}"
        assert all(by_id[sid]["reason"] and by_id[sid]["message"] for sid in rejected_ids)
        assert not [d for d in dlq if d["reason"] == "internal_error"], "a stage raised on hostile input"
        originals = {d["original"] for d in dlq if d["reason"] == "bad_envelope"}
        assert {base64.b64encode(j).decode() for j in not_envelopes} <= originals
        # No restart: the same worker process ran the whole stream, and no agent crashed.
        assert worker.poll() is None and run.workers == [worker]
        assert "Agent crashed" not in run.logs() and "Traceback" not in run.logs()
        assert max(rss) < RSS_LIMIT, f"worker RSS reached {max(rss) / 1e6:.0f} MB"
        record(FaultRow(f"poison: {BAD} bad + {NOT_ENVELOPES} non-envelopes, {GOOD} good", verdict.sent,
                        verdict.stored, verdict.lost, verdict.duplicate_rows, lag.max_lag, recovery,
                        f"{len(rejected_ids) + len(not_envelopes)} on DLQ; 3×5 MB refused at publish; "
                        f"max RSS {max(rss) / 1e6:.0f} MB"))  # fmt: skip
        verdict.assert_exact()
    finally:
        run.stop()


async def _sample_rss(pid: int, out: list[int]) -> None:
    while True:
        value = rss_bytes(pid)
        if value:
            out.append(value)
        await asyncio.sleep(0.5)


async def _wait_dlq(run: FaultRun, n: int, timeout: float) -> list[dict[str, object]]:
    t0 = time.monotonic()
    while True:
        docs = [orjson.loads(v) for v in await read_topic(run.bootstrap, run.topic(DLQ))]
        if len(docs) >= n:
            return docs
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"{len(docs)} of {n} rejections on the DLQ after {timeout:.0f}s")
        await asyncio.sleep(1.0)
