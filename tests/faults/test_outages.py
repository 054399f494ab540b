"""Faults 2 and 3: a Kafka broker killed mid-stream (3-node cluster), PostgreSQL stopped for 30 s mid-stream.

Broker loss: replication 3, min.insync.replicas 2, acks=all everywhere; one broker gets SIGKILL while stories
stream in and comes back 20 s later. Database outage: the store is a real PostgreSQL server, stopped (fast
shutdown) for 30 s and started again; the sink retries the same batch and the stream does not move on meanwhile.
Both end with the store holding exactly the accepted set and every notification id on the notification topic.
"""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest

from pipeline.topics import DLQ, DUPLICATES, ENRICHED, NORMALISED
from tests.faults.common import (
    FAST_FAILOVER,
    Expected,
    FaultRow,
    FaultRun,
    LagWatch,
    committed_offsets,
    corpus_submissions,
    judge,
    publish_stream,
    record,
    reference,
    rng_for,
    size,
    stored_count,
    stored_rows,
    wait_notified,
    wait_stored,
)
from tests.integration.harness import read_records
from tests.support.apache_kafka import ApacheKafkaCluster

pytestmark = [pytest.mark.slow]

STORIES = size(2000, 20_000)
OUTAGE_S = 30.0


@pytest.mark.kafka
async def test_broker_loss_in_a_three_node_cluster(kafka_cluster_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = rng_for("broker-loss")
    cluster: ApacheKafkaCluster = kafka_cluster_factory(nodes=3)
    run = FaultRun(bootstrap=cluster.bootstrap, data_dir=tmp_path / "data", partitions=8, replication=3,
                   extra_env=FAST_FAILOVER)  # fmt: skip
    raws = corpus_submissions(STORIES, seed=202)
    exp = reference(raws, run.settings)
    await run.create_topics()
    run.start_worker()
    run.start_worker()
    try:
        async with LagWatch(run.settings) as lag:
            publisher = asyncio.create_task(publish_stream(run, raws, batch=100, pause=0.05))
            await _until(lambda: stored_count(run.check_url), STORIES // 5, timeout=size(300, 1800), run=run)
            victim = rng.randrange(3)
            cluster.kill_node(victim)
            await asyncio.sleep(20)
            await asyncio.to_thread(cluster.start_node, victim)
            back = time.monotonic()
            await publisher
            try:
                await wait_stored(run, exp, timeout=size(400, 1800))
            except AssertionError as exc:
                raise AssertionError(f"{await trace_missing(run, exp)}\n{exc}") from None
            recovery = time.monotonic() - back
            await wait_notified(run, timeout=120)
            verdict = await judge(run, exp, len(raws))
        record(FaultRow(f"broker {victim + 1} of 3 killed for 20 s", verdict.sent, verdict.stored, verdict.lost,
                        verdict.duplicate_rows, lag.max_lag, recovery,
                        f"RF 3, min ISR 2, acks=all; {verdict.notifications} notices"))  # fmt: skip
        verdict.assert_exact()
    finally:
        run.stop()


@pytest.mark.kafka
@pytest.mark.postgres
async def test_postgres_stopped_for_30_seconds(
    kafka_bootstrap: str,
    postgres_server,
    postgres_db_url: str,  # type: ignore[no-untyped-def]
    tmp_path,
) -> None:
    run = FaultRun(bootstrap=kafka_bootstrap, data_dir=tmp_path / "data", partitions=4, store_url=postgres_db_url)
    raws = corpus_submissions(STORIES, seed=505)
    exp = reference(raws, run.settings)
    await run.create_topics()
    run.start_worker()
    try:
        async with LagWatch(run.settings) as lag:
            publisher = asyncio.create_task(publish_stream(run, raws, batch=100, pause=0.05))
            await _until(lambda: stored_count(run.check_url), STORIES // 5, timeout=size(300, 1800), run=run)
            await asyncio.to_thread(postgres_server.stop)
            await asyncio.sleep(OUTAGE_S)
            lag_during = await lag.current_lag()
            await asyncio.to_thread(postgres_server.start)
            back = time.monotonic()
            await publisher
            await wait_stored(run, exp, timeout=size(400, 1800))
            recovery = time.monotonic() - back
            await wait_notified(run, timeout=120)
            verdict = await judge(run, exp, len(raws))
            status = await _until_status_ok(lag, timeout=180)
        run.assert_workers_alive()
        record(FaultRow(f"PostgreSQL stopped {OUTAGE_S:.0f} s", verdict.sent, verdict.stored, verdict.lost,
                        verdict.duplicate_rows, lag.max_lag, recovery,
                        f"lag at restart {lag_during}; operator status back to {status}"))  # fmt: skip
        verdict.assert_exact()
        assert status == "OK"
    finally:
        run.stop()
        if not postgres_server.running():
            postgres_server.start()


async def trace_missing(run: FaultRun, exp: Expected, limit: int = 20) -> str:
    """Where each accepted story missing from the store stopped: its records on `wire.normalised`,
    `wire.enriched`, `wire.duplicates` and `wire.dlq` (partition@offset), beside the group's committed offsets."""
    missing = sorted(exp.accepted - set(await stored_rows(run.check_url)))
    topics = (NORMALISED, ENRICHED, DUPLICATES, DLQ)
    found: dict[tuple[str, str], list[str]] = {}
    committed: dict[str, dict[int, int]] = {}
    for spec in topics:
        name = run.topic(spec)
        committed[spec.name] = await committed_offsets(run.settings, spec)
        for rec in await read_records(run.bootstrap, name):
            try:
                doc = orjson.loads(rec.value or b"null")
            except orjson.JSONDecodeError:
                continue
            uri = doc.get("uri") if isinstance(doc, dict) else None
            if uri is None and isinstance(doc, dict):
                uri = (doc.get("story") or {}).get("uri") if isinstance(doc.get("story"), dict) else None
            if uri is not None:
                found.setdefault((spec.name, uri), []).append(f"p{rec.partition}@{rec.offset}")
    lines = [
        f"{len(missing)} missing; committed offsets: "
        + "; ".join(f"{t}={dict(sorted(c.items()))}" for t, c in committed.items())
    ]
    for uri, version in missing[:limit]:
        where = ", ".join(
            f"{spec.name} {' '.join(found[(spec.name, uri)])}" for spec in topics if (spec.name, uri) in found
        )
        lines.append(f"  {uri}@{version}: {where or 'on none of them'}")
    return "\n".join(lines)


async def _until(check, n: int, timeout: float, run: FaultRun) -> None:  # type: ignore[no-untyped-def]
    t0 = time.monotonic()
    while await check() < n:
        run.assert_workers_alive()
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"fewer than {n} stored after {timeout:.0f}s\n{run.logs()}")
        await asyncio.sleep(0.5)


async def _until_status_ok(lag: LagWatch, timeout: float) -> str | None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if lag.last_status == "OK":
            break
        await asyncio.sleep(1.0)
    return lag.last_status
