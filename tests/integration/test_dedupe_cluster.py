"""Dedupe on real Apache Kafka: copies caught across partitions owned by different workers, state that survives
kill -9, and expiry that also removes state restored from the changelog."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from aiokafka.errors import KafkaError
from aiokafka.partitioner import murmur2

from pipeline.topics import CATALOGUE, DUPLICATES, ENRICHED, consumer_group
from tests.integration.harness import PipelineRun, read_records, read_topic, wait_until
from tests.paths import SEED

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SEED_TEXT = SEED.read_text(encoding="utf-8")
HEADLINE = SEED_TEXT.splitlines()[0]
PARAS = [p.strip() for p in SEED_TEXT.split("BISHKEK (TCA) —", 1)[1].split("\nSergey Kwan", 1)[0].split("\n\n")
         if p.strip()]


def ninjs(uri: str, headline: str, paras: list[str], when: datetime | None = None) -> bytes:
    doc = {"uri": uri, "headlines": [{"role": "main", "value": headline}],
           "bodies": [{"role": "main", "contentType": "text/plain", "value": "\n\n".join(paras)}]}
    if when is not None:
        doc["versionCreated"] = when.isoformat().replace("+00:00", "Z")
    return orjson.dumps(doc)


def partition_of(key: str, partitions: int) -> int:
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def uri_on(partition: int, partitions: int, stem: str) -> str:
    return next(u for i in range(10_000) if partition_of(u := f"{stem}-{i}", partitions) == partition)


async def owners(run: PipelineRun, topic: str) -> dict[int, str]:
    """partition of ``topic`` → member id holding it, from the current assignment of the stage loop reading it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=run.bootstrap)
    await admin.start()
    try:
        found: dict[int, str] = {}
        spec = next(spec for spec in CATALOGUE if run.topic(spec) == topic)
        for resp in await admin.describe_consumer_groups([consumer_group(run.settings.app_id, spec)]):
            for group in resp.groups:
                for member in group[5]:
                    if not member[4]:  # no assignment yet (the group is rebalancing)
                        continue
                    assignment = ConsumerProtocolMemberAssignment.decode(member[4])
                    for name, parts in assignment.assignment:
                        if name == topic:
                            found.update({p: member[0] for p in parts})
        return found
    finally:
        await admin.close()


@pytest.fixture
def run(kafka_bootstrap: str, tmp_path):  # type: ignore[no-untyped-def]
    # A worker killed with SIGKILL holds its partitions until its session times out: 10 s, not the default 60 s.
    pipeline = PipelineRun(bootstrap=kafka_bootstrap, data_dir=tmp_path / "data", partitions=4,
                           extra_env={"WIREFEED_WORKER_SESSION_TIMEOUT_S": "10"})
    yield pipeline
    pipeline.stop()


async def enriched_by_uri(run: PipelineRun) -> dict[str, dict]:
    return {d["uri"]: d for d in map(orjson.loads, await read_topic(run.bootstrap, run.topic(ENRICHED)))}


async def test_copies_on_partitions_of_the_other_worker_are_caught(run: PipelineRun) -> None:
    await run.create_topics()
    run.start_worker()
    run.start_worker()
    normalised = run.topic("wire.normalised")

    async def split() -> dict[int, str] | None:
        try:
            held = await owners(run, normalised)
        except KafkaError:  # the group's coordinator is still being elected
            return None
        return held if len(held) == 4 and len(set(held.values())) == 2 else None

    held = await wait_until(split, 120, "two workers sharing the four partitions", run)
    original = uri_on(0, 4, "urn:test:orig")
    # One story time for all three, and copies whose uris sort before the original's: only the order in which
    # dedupe handled them says which came first (story time and uri would rank the copies first).
    stamped = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    other = [p for p in range(4) if held[p] != held[0]]
    assert other, held

    await run.publish(ninjs(original, HEADLINE, PARAS, stamped), "TCA", format_hint="ninjs")
    await wait_until(lambda: _has(run, original), 90, "the original on wire.enriched", run)

    # On a partition held by the other worker: an edited resend (new headline, a typo fixed, ending trimmed)
    # and an exact copy under another agency's uri.
    edited = uri_on(other[0], 4, "urn:test:edited")
    copy = uri_on(other[-1], 4, "urn:test:copy")
    edited_paras = [PARAS[0].replace("every effort", "every possible effort"), *PARAS[1:-1]]
    await run.publish(ninjs(edited, "Kyrgyz leader pledges closer ties with Moscow", edited_paras, stamped), "AKI",
                      format_hint="ninjs")
    await run.publish(ninjs(copy, HEADLINE, PARAS, stamped), "RFE", format_hint="ninjs")
    assert copy < original and edited < original

    stories = await wait_until(lambda: _has(run, edited), 90, "the edited resend", run)
    near = stories[edited]["dedupe"]
    first = stories[original]["dedupe"]
    assert near["verdict"] == "near_duplicate", near
    assert near["duplicate_of"] == f"{original}@1" and near["cluster_id"] == first["cluster_id"]

    dups = await wait_until(lambda: read_topic(run.bootstrap, run.topic(DUPLICATES)), 90, "the exact copy", run)
    # A story handled again after the workers' rebalance is also a resend of itself (a duplicate of its own
    # uri@version); apart from those, the copy has one record.
    [record] = [r for r in _distinct(dups) if r["duplicate_of"] != f"{r['uri']}@{r['version']}"]
    assert record["uri"] == copy and record["verdict"] == "duplicate"
    assert record["duplicate_of"] == f"{original}@1" and record["cluster_id"] == first["cluster_id"]
    assert copy not in await enriched_by_uri(run)


def _distinct(values: list[bytes]) -> list[dict]:
    """The records on ``wire.duplicates``, each once. Delivery is at least once: after a restart or a rebalance
    the messages a worker read before the group's committed offsets were known are read again from there, and a
    story handled twice is recorded twice, alike but for the time of detection."""
    records = [orjson.loads(v) for v in values]
    return list({orjson.dumps({**r, "detected_at": None}): r for r in records}.values())


async def _has(run: PipelineRun, uri: str) -> dict[str, dict] | None:
    stories = await enriched_by_uri(run)
    return stories if uri in stories else None


async def test_state_survives_kill_minus_nine(run: PipelineRun) -> None:
    await run.create_topics()
    worker = run.start_worker()
    uri = "urn:test:restart"
    await run.publish(ninjs(uri, HEADLINE, PARAS), "TCA", format_hint="ninjs")
    await wait_until(lambda: _has(run, uri), 90, "the story on wire.enriched", run)
    # State is written after the output is acknowledged: the restart below must find it on the changelog.
    await wait_until(lambda: _state_written(run), 60, "the story's dedupe state on the changelog", run)
    run.stop_worker(worker, signal.SIGKILL)

    run.start_worker()
    resend = await run.publish(ninjs(uri, HEADLINE, PARAS), "TCA", format_hint="ninjs")

    async def resend_recorded() -> list[dict] | None:
        # The first submission may be read again too (its offset need not be committed before the kill): it meets
        # its own entry and sends nothing again; the resend, another submission, is a duplicate.
        found = [r for r in _distinct(await read_topic(run.bootstrap, run.topic(DUPLICATES)))
                 if r["submission_id"] == resend]  # fmt: skip
        return found or None

    [record] = await wait_until(resend_recorded, 120, "the resend judged a duplicate after the restart", run)
    assert record["verdict"] == "duplicate" and record["duplicate_of"] == f"{uri}@1"
    others = _distinct(await read_topic(run.bootstrap, run.topic(DUPLICATES)))
    assert [r["submission_id"] for r in others] == [resend], others
    assert len([v for v in await read_topic(run.bootstrap, run.topic(ENRICHED))]) == 1

    # A copy under another agency's uri is found through the near table, rebuilt from its per-entry changelog.
    copy = "urn:test:restart-copy"
    await run.publish(ninjs(copy, HEADLINE, PARAS), "AKI", format_hint="ninjs")

    async def copy_recorded() -> list[dict] | None:
        found = [r for r in _distinct(await read_topic(run.bootstrap, run.topic(DUPLICATES))) if r["uri"] == copy]
        return found or None

    [record] = await wait_until(copy_recorded, 120, "the copy judged a duplicate after the restart", run)
    assert record["verdict"] == "duplicate" and record["duplicate_of"] == f"{uri}@1"


async def test_expired_state_is_deleted_after_a_restart(run: PipelineRun) -> None:
    await run.create_topics()
    worker = run.start_worker()
    uri = "urn:test:expiry"
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    await run.publish(ninjs(uri, HEADLINE, PARAS, when=three_days_ago), "TCA", format_hint="ninjs")
    await wait_until(lambda: _has(run, uri), 90, "the story on wire.enriched", run)
    # State is written after the output is acknowledged: the restart below must find it on the changelog.
    await wait_until(lambda: _state_written(run), 60, "the story's dedupe state on the changelog", run)
    run.stop_worker(worker)

    # Restart with a one-day window: the restored entries are older than it and must really be deleted.
    run.extra_env.update({"WIREFEED_DEDUPE_WINDOW_DAYS": "1", "WIREFEED_DEDUPE_EVICT_SECONDS": "2"})
    run.start_worker()
    changelog = f"{run.settings.app_id}-dedupe-uris-changelog"

    async def tombstone() -> bool:
        return await _tombstones(run.bootstrap, changelog) > 0

    await wait_until(tombstone, 120, "a tombstone for the expired uri entry on the changelog", run)


async def _state_written(run: PipelineRun) -> bool:
    """An entry is on the uri table's changelog (the tests that wait for it have sent one story)."""
    changelog = f"{run.settings.app_id}-dedupe-uris-changelog"
    return any(r.value is not None for r in await read_records(run.bootstrap, changelog))


async def _tombstones(bootstrap: str, topic: str) -> int:
    return sum(1 for r in await read_records(bootstrap, topic) if r.value is None)
