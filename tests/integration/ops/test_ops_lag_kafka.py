"""Lag monitor on real Apache Kafka: lag, lag seconds and status of a paused consumer; cross-check with Kafka's tool.

Run: ``pytest -m kafka tests/integration/ops`` (the first run fetches the Kafka jars).
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pipeline.config import Settings
from pipeline.ops.lag import LagMonitor, LagSnapshot
from pipeline.ops.status import Status, StatusPolicy
from tests.support.apache_kafka import ApacheKafkaCluster

pytestmark = pytest.mark.kafka

PARTITIONS = 3
N = 30  # messages produced while the consumer is paused
POLICY = StatusPolicy(window_s=6.0, min_span_s=3.0)
STEP = 0.5  # seconds between samples


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def _topic(bootstrap: str, name: str, partitions: int = PARTITIONS) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()


async def _produce(bootstrap: str, topic: str, n: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(n):
            await producer.send(topic, f"m{i}".encode(), partition=i % PARTITIONS)
        await producer.flush()
    finally:
        await producer.stop()


async def _consume(consumer: AIOKafkaConsumer, n: int, timeout: float = 30.0) -> None:
    got = 0
    async with asyncio.timeout(timeout):
        while got < n:
            batch = await consumer.getmany(timeout_ms=500)
            got += sum(len(v) for v in batch.values())
    await consumer.commit()


async def _sample_until(monitor: LagMonitor, group: str, want: Status, limit: float = 20.0) -> list[LagSnapshot]:
    snaps: list[LagSnapshot] = []
    async with asyncio.timeout(limit):
        while True:
            snaps.append(await monitor.sample())
            if snaps[-1].group(group).status is want:
                return snaps
            await asyncio.sleep(STEP)


async def test_paused_consumer_lag_stall_and_recovery(kafka_cluster: ApacheKafkaCluster) -> None:
    bootstrap = kafka_cluster.bootstrap
    topic, group = _name("ops-paused"), _name("ops-group")
    await _topic(bootstrap, topic)
    await _produce(bootstrap, topic, 9)  # an initial backlog that the consumer reads and commits

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    monitor = LagMonitor(Settings(broker=bootstrap), groups=[group], policy=POLICY)
    try:
        await _consume(consumer, 9)
        caught_up = await monitor.sample()
        g = caught_up.group(group)
        assert (g.lag, g.status, g.members, g.state) == (0, Status.OK, 1, "Stable")

        consumer.pause(*consumer.assignment())
        await _produce(bootstrap, topic, N)

        snaps = await _sample_until(monitor, group, Status.STALL)
        first, last = snaps[0].group(group), snaps[-1].group(group)
        assert first.lag == N and last.lag == N
        assert sorted(p.lag for p in last.partitions) == [N // PARTITIONS] * PARTITIONS
        assert all(p.lag_seconds_source == "record" for p in last.partitions)
        # STALL only once the window spans min_span_s: the first samples are still OK
        assert first.status is Status.OK
        assert last.partitions[0].status is Status.STALL
        assert snaps[-1].taken_at - snaps[0].taken_at >= POLICY.min_span_s
        # lag seconds grow with time while nothing is consumed
        ages = [s.group(group).lag_seconds for s in snaps]
        assert all(a is not None for a in ages)
        assert ages == sorted(ages) and ages[-1] - ages[0] >= POLICY.min_span_s * 0.9

        consumer.resume(*consumer.assignment())
        await _consume(consumer, N)
        recovered = (await _sample_until(monitor, group, Status.OK))[-1].group(group)
        assert (recovered.lag, recovered.lag_seconds) == (0, 0.0)
    finally:
        await monitor.close()
        await consumer.stop()


async def test_gone_consumer_is_stop_and_absent_group_is_missing(kafka_cluster: ApacheKafkaCluster) -> None:
    bootstrap = kafka_cluster.bootstrap
    topic, group, absent = _name("ops-gone"), _name("ops-group"), _name("ops-absent")
    await _topic(bootstrap, topic)
    await _produce(bootstrap, topic, 6)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    await _consume(consumer, 6)
    await consumer.stop()  # leaves the group
    await _produce(bootstrap, topic, 12)

    monitor = LagMonitor(Settings(broker=bootstrap), groups=[group, absent], policy=POLICY)
    try:
        snaps = await _sample_until(monitor, group, Status.STOP)
        g = snaps[-1].group(group)
        assert (g.lag, g.members, g.state) == (12, 0, "Empty")
        missing = snaps[-1].group(absent)
        assert (missing.status, missing.partitions, missing.members) == (Status.MISSING, [], 0)
    finally:
        await monitor.close()


async def test_figures_equal_kafka_consumer_groups_tool(kafka_cluster: ApacheKafkaCluster) -> None:
    bootstrap = kafka_cluster.bootstrap
    topic, group = _name("ops-xcheck"), _name("ops-group")
    await _topic(bootstrap, topic)
    await _produce(bootstrap, topic, 40)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=5,
    )
    await consumer.start()
    try:
        # consume part of it so that the partitions lag by different amounts
        got = 0
        async with asyncio.timeout(30):
            while got < 17:
                batch = await consumer.getmany(timeout_ms=500, max_records=5)
                got += sum(len(v) for v in batch.values())
        # commit every partition but one: the tool lists that one with "-" as offset and lag
        held_back = TopicPartition(topic, PARTITIONS - 1)
        positions = {tp: await consumer.position(tp) for tp in consumer.assignment()}
        await consumer.commit({tp: off for tp, off in positions.items() if tp != held_back})
        consumer.pause(*consumer.assignment())
        await _produce(bootstrap, topic, 11)

        monitor = LagMonitor(Settings(broker=bootstrap), groups=[group], policy=POLICY)
        try:
            snap = await monitor.sample()
        finally:
            await monitor.close()
        tool_rows = await asyncio.to_thread(kafka_cluster.describe_group, group)
    finally:
        await consumer.stop()

    g = snap.group(group)
    ours = {(p.topic, p.partition): (p.committed, p.end, p.lag) for p in g.partitions}
    theirs = {
        (r.topic, r.partition): (r.current_offset, r.log_end_offset, r.lag)
        for r in tool_rows
        if r.current_offset is not None
    }
    assert ours == theirs
    assert sum(committed for committed, _, _ in ours.values()) == sum(
        off for tp, off in positions.items() if tp != held_back
    )
    assert {(u.topic, u.partition): u.end for u in g.uncommitted} == {
        (r.topic, r.partition): r.log_end_offset for r in tool_rows if r.current_offset is None
    }
    assert [(u.topic, u.partition) for u in g.uncommitted] == [(topic, PARTITIONS - 1)]


def test_cli_lag_json_and_table(kafka_cluster: ApacheKafkaCluster) -> None:
    from typer.testing import CliRunner

    from pipeline.ops.cli import lag_app

    bootstrap = kafka_cluster.bootstrap
    topic, group = _name("ops-cli"), _name("ops-group")

    async def setup() -> None:
        await _topic(bootstrap, topic)
        await _produce(bootstrap, topic, 12)
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            await _consume(consumer, 12)
        finally:
            await consumer.stop()
        await _produce(bootstrap, topic, 6)

    asyncio.run(setup())
    runner = CliRunner()
    result = runner.invoke(lag_app, ["--broker", bootstrap, "--group", group, "--json"])
    assert result.exit_code == 0, result.output
    snap = LagSnapshot.model_validate_json(result.stdout.strip().splitlines()[-1])
    g = snap.group(group)
    assert (g.lag, g.members, g.state) == (6, 0, "Empty")
    assert {p.partition: p.lag for p in g.partitions} == dict.fromkeys(range(PARTITIONS), 2)

    table = runner.invoke(
        lag_app,
        ["--broker", bootstrap, "--group", group, "--watch", "--count", "2", "--interval", "0.2"],
        env={"COLUMNS": "200"},
    )
    assert table.exit_code == 0, table.output
    assert group in table.stdout and topic in table.stdout and "OK" in table.stdout


async def test_http_snapshot_history_and_sse_stream(kafka_cluster: ApacheKafkaCluster, tmp_path: Path) -> None:
    import httpx
    import orjson
    import uvicorn
    from fastapi import FastAPI

    from pipeline.ops.web import ops_router
    from pipeline.sinks.store import open_store
    from tests.apikeys import authenticator, issue_key

    bootstrap = kafka_cluster.bootstrap
    topic, group = _name("ops-http"), _name("ops-group")
    await _topic(bootstrap, topic)
    await _produce(bootstrap, topic, 9)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    monitor = LagMonitor(Settings(broker=bootstrap), groups=[group], policy=POLICY)
    keys = await open_store(f"sqlite:///{tmp_path / 'keys.sqlite3'}")
    operator = {"X-API-Key": await issue_key(keys, "ops", "operator")}
    app = FastAPI()
    app.include_router(ops_router(monitor, authenticator(keys), interval_s=0.3))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    try:
        await _consume(consumer, 9)
        await _produce(bootstrap, topic, 3)
        for _ in range(300):
            if server.started:
                break
            await asyncio.sleep(0.05)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        async with httpx.AsyncClient(base_url=url, timeout=20) as anonymous:
            assert (await anonymous.get("/ops/api/snapshot")).status_code == 401
        async with httpx.AsyncClient(base_url=url, timeout=20, headers=operator) as client:
            snap = LagSnapshot.model_validate_json((await client.get("/ops/api/snapshot")).content)
            assert snap.group(group).lag == 3

            events: list[LagSnapshot] = []
            async with client.stream("GET", "/ops/api/stream") as resp:
                assert resp.headers["content-type"].startswith("text/event-stream")
                event = None
                async for line in resp.aiter_lines():
                    if line.startswith("event: "):
                        event = line.removeprefix("event: ")
                    elif line.startswith("data: ") and event == "snapshot":
                        events.append(LagSnapshot.model_validate_json(line.removeprefix("data: ")))
                        if len(events) == 3:
                            break
            assert [e.group(group).lag for e in events] == [3, 3, 3]
            assert events[0].taken_at < events[-1].taken_at  # fresh samples, not one repeated

            history = orjson.loads((await client.get("/ops/api/history")).content)
            assert len(history) >= 3 and all(p["lag"][f"{topic} ({group})"] == 3 for p in history)
    finally:
        server.should_exit = True
        await serving
        await monitor.close()
        await consumer.stop()
        await keys.close()
