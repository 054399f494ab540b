"""The local Apache Kafka (KRaft, jars from Maven Central) works with the clients the pipeline uses.

Run: ``pytest -m kafka tests/integration/test_kafka_broker.py`` (first run fetches the jars with Maven).
``WIREFEED_TEST_KAFKA_VERSION=3.9.2`` runs the same tests against another broker version.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from pipeline.config import Settings
from pipeline.kafka import client_kwargs
from tests.fixtures.kafka import ClusterFactory, kafka_test_version
from tests.support.apache_kafka import REPO_MARK, ApacheKafkaCluster, count_brokers, parse_consumer_group_describe

pytestmark = pytest.mark.kafka

REPO = Path(__file__).resolve().parents[2]


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def _create_topic(bootstrap: str, name: str, partitions: int, rf: int = 1, **config: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15_000)
    await admin.start()
    try:
        resp = await admin.create_topics([NewTopic(name, partitions, rf, topic_configs=config)])
        # aiokafka returns per-topic errors in the response instead of raising them.
        assert [err[1] for err in resp.topic_errors] == [0], resp.topic_errors
        for _ in range(100):  # metadata propagates to every broker asynchronously
            desc = await admin.describe_topics([name])
            parts = desc[0]["partitions"]
            if len(parts) == partitions and all(p["leader"] >= 0 for p in parts):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"topic {name} has no leaders")
    finally:
        await admin.close()


async def _produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        futures = [await producer.send(topic, key=k, value=v) for k, v in messages]
        await producer.flush()
        for fut in futures:
            meta = await fut
            assert meta.offset >= 0
    finally:
        await producer.stop()


async def _consume(bootstrap: str, topic: str, group: str, count: int, wait_s: float = 60.0) -> list[bytes]:
    """Read ``count`` messages in consumer group ``group`` and commit them."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    got: list[bytes] = []
    try:
        deadline = time.monotonic() + wait_s
        while len(got) < count and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500, max_records=count - len(got))
            for records in batches.values():
                got.extend(r.value for r in records if r.value is not None)
        await consumer.commit()
    finally:
        await consumer.stop()
    return got


async def test_aiokafka_admin_produce_group_commit_and_offsets(kafka_cluster: ApacheKafkaCluster) -> None:
    bootstrap = kafka_cluster.bootstrap
    topic, group = _name("t-basic"), _name("g-basic")
    await _create_topic(bootstrap, topic, partitions=3)
    messages = [(f"k{i % 7}".encode(), orjson.dumps({"n": i})) for i in range(300)]
    await _produce(bootstrap, topic, messages)

    consumed_first = 200
    got = await _consume(bootstrap, topic, group, consumed_first)
    assert len(got) == consumed_first
    assert len({orjson.loads(v)["n"] for v in got}) == consumed_first

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await probe.start()
    try:
        groups = {g[0] for g in await admin.list_consumer_groups()}
        assert group in groups
        committed = await admin.list_consumer_group_offsets(group)
        tps = [TopicPartition(topic, p) for p in range(3)]
        ends = await probe.end_offsets(tps)
    finally:
        await probe.stop()
        await admin.close()

    assert sum(ends.values()) == len(messages)
    committed_total = sum(committed[tp].offset for tp in tps if tp in committed)
    assert committed_total == consumed_first

    # The Kafka CLI reports the same end offsets and lag as the aiokafka admin client.
    rows = await asyncio.to_thread(kafka_cluster.describe_group, group)
    by_tp = {(r.topic, r.partition): r for r in rows}
    for tp in tps:
        row = by_tp[(tp.topic, tp.partition)]
        assert row.log_end_offset == ends[tp]
        current = committed[tp].offset if tp in committed else None
        assert row.current_offset == current
        assert row.lag == (None if current is None else ends[tp] - current)

    # The rest of the messages are there for the same group, none twice.
    rest = await _consume(bootstrap, topic, group, len(messages) - consumed_first)
    seen = {orjson.loads(v)["n"] for v in got} | {orjson.loads(v)["n"] for v in rest}
    assert seen == set(range(len(messages)))


def test_parse_consumer_group_describe_handles_uncommitted_partitions() -> None:
    text = textwrap.dedent(
        """
        Consumer group 'g' has no active members.

        GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID
        g               t               0          5               9               4               -               -               -
        g               t               1          -               3               -               -               -               -
        """  # noqa: E501
    )
    rows = parse_consumer_group_describe(text)
    assert [(r.partition, r.current_offset, r.log_end_offset, r.lag) for r in rows] == [
        (0, 5, 9, 4),
        (1, None, 3, None),
    ]


@pytest.mark.slow
async def test_three_nodes_keep_accepting_acks_all_writes_with_one_node_down(
    kafka_cluster_factory: ClusterFactory,
) -> None:
    cluster = await asyncio.to_thread(kafka_cluster_factory, 3)
    bootstrap = cluster.bootstrap
    topic, group = _name("t-rf3"), _name("g-rf3")
    await _create_topic(bootstrap, topic, partitions=3, rf=3)
    await _produce(bootstrap, topic, [(b"a", b"%d" % i) for i in range(50)])

    await asyncio.to_thread(cluster.kill_node, 2)
    assert not cluster.is_running(2)
    # min.insync.replicas=2: acks=all writes still succeed with two of three replicas.
    await _produce(bootstrap, topic, [(b"b", b"%d" % i) for i in range(50, 100)])

    await asyncio.to_thread(cluster.start_node, 2)
    assert cluster.is_running(2)
    got = await _consume(bootstrap, topic, group, 100, wait_s=90)
    assert sorted(int(v) for v in got) == list(range(100))


def test_jvms_die_with_the_python_process_that_started_them(tmp_path: Path) -> None:
    """SIGKILL the Python process: the parent-death signal stops its broker JVM too."""
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from tests.support.apache_kafka import ApacheKafkaCluster
        c = ApacheKafkaCluster(nodes=1, version={kafka_test_version()!r}, workdir={str(tmp_path / "wd")!r}).start()
        print(c.pid(0), flush=True)
        time.sleep(600)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        jvm_pid = int(line)
        cmdline = Path(f"/proc/{jvm_pid}/cmdline").read_bytes().split(b"\0")
        assert REPO_MARK.encode() in cmdline
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _alive(jvm_pid):
        time.sleep(0.2)
    alive = _alive(jvm_pid)
    if alive:
        os.kill(jvm_pid, signal.SIGKILL)
    assert not alive, "broker JVM outlived the Python process that started it"


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


async def test_sasl_ssl_listener_accepts_pipeline_clients_and_rejects_bad_credentials(
    kafka_cluster_factory: ClusterFactory,
) -> None:
    cluster = await asyncio.to_thread(kafka_cluster_factory, 1, sasl_ssl=True)
    topic = _name("t-sasl")
    await _create_topic(cluster.bootstrap, topic, partitions=1)

    for mechanism in ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"):
        settings = cluster.client_settings(mechanism)
        assert settings.kafka.security_protocol == "SASL_SSL"
        kwargs = client_kwargs(settings)
        producer = AIOKafkaProducer(**kwargs, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topic, key=mechanism.encode(), value=b"via " + mechanism.encode())
        finally:
            await producer.stop()

    consumer = AIOKafkaConsumer(topic, **client_kwargs(cluster.client_settings()), auto_offset_reset="earliest")
    await consumer.start()
    keys: set[bytes | None] = set()
    try:
        deadline = time.monotonic() + 30
        while len(keys) < 3 and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            keys |= {r.key for records in batches.values() for r in records}
    finally:
        await consumer.stop()
    assert keys == {b"SCRAM-SHA-512", b"SCRAM-SHA-256", b"PLAIN"}

    good = cluster.client_security("SCRAM-SHA-512")
    wrong_password = Settings(broker=cluster.sasl_bootstrap, kafka=good.model_copy(update={"sasl_password": "nope"}))
    untrusted_ca = Settings(broker=cluster.sasl_bootstrap, kafka=good.model_copy(update={"ssl_cafile": None}))
    for bad in (wrong_password, untrusted_ca):
        producer = AIOKafkaProducer(**client_kwargs(bad), request_timeout_ms=5000, metadata_max_age_ms=5000)
        with pytest.raises(KafkaError):
            await producer.start()
        await producer.stop()


class _FirstPortTaken(ApacheKafkaCluster):
    """A cluster whose first port choice is one another process holds (the race free_port() cannot rule out)."""

    def __init__(self, taken_port: int, **kw: Any) -> None:
        self.taken_port = taken_port
        self.port_choices = 0
        super().__init__(**kw)

    def _pick_ports(self) -> None:
        super()._pick_ports()
        if self.port_choices == 0:
            self._nodes[0].port = self.taken_port
        self.port_choices += 1


def test_start_picks_new_ports_when_a_port_was_taken_meanwhile(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        cluster = _FirstPortTaken(taken, nodes=1, version=kafka_test_version(), workdir=tmp_path / "wd")
        try:
            cluster.start()
            assert cluster.port_choices == 2
            assert cluster.bootstrap != f"127.0.0.1:{taken}"
            assert "Address already in use" in cluster.log_path(0).read_text()
            assert asyncio.run(count_brokers(cluster.bootstrap)) == 1
        finally:
            cluster.stop()


async def test_kafka_settings_isolate_tests_on_the_session_cluster(kafka_settings: Settings) -> None:
    from pipeline.broker.admin import ensure_topics
    from pipeline.topics import CATALOGUE, topic_name

    created = await ensure_topics(kafka_settings)
    expected = {topic_name(spec, kafka_settings.topic_prefix) for spec in CATALOGUE}
    assert set(created) == expected
    assert all(name.startswith(kafka_settings.topic_prefix) for name in created)
