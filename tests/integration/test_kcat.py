"""A consumer written by someone else (kcat) reads notification topics, and kcat can push a valid submission.

The shell blocks run here are taken from ``docs/subscriptions.md``, so the documented commands are the tested ones.
Needs the Debian package ``kcat`` (``bash deploy/kcat/setup.sh``) and a real Kafka (``kafka_bootstrap``).
Run: ``pytest -m kafka tests/integration/test_kcat.py``.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from pipeline.broker.admin import ensure_topics
from pipeline.codec import decode, encode
from pipeline.config import Settings
from pipeline.kafka import client_kwargs
from pipeline.sinks.subscriptions import router_from_settings
from schemas import BlocTag, CountryTag, DedupeInfo, EnrichedStory, Notification, RawSubmission

pytestmark = pytest.mark.kafka

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / ".." / "shared" / "fixtures" / "seed-story-tca.txt"
DOC = REPO / "docs" / "subscriptions.md"
EXAMPLE = REPO / "deploy" / "subscriptions.example.yaml"


@pytest.fixture(scope="module")
def kcat() -> str:
    path = shutil.which("kcat")
    if path is None:
        pytest.skip("kcat is not installed (bash deploy/kcat/setup.sh)")
    return path


def doc_block(name: str) -> str:
    """The ```sh block that follows the ``<!-- tested: NAME`` marker in docs/subscriptions.md."""
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- tested: {re.escape(name)}\b.*?-->\s*```sh\n(.*?)```", text, re.S)
    assert found, f"docs/subscriptions.md has no block marked 'tested: {name}'"
    return found.group(1)


def run_sh(script: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


def seed_like_story(uri: str) -> EnrichedStory:
    t = datetime(2017, 11, 29, 9, 30, tzinfo=UTC)
    lines = [ln.strip() for ln in SEED.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return EnrichedStory(
        uri=uri,
        agency="TCA",
        headline=lines[0],
        body=lines[2:6],
        versioncreated=t,
        source_format="text",
        content_hash="0" * 64,
        submission_id=f"sub-{uri}",
        received_at=t,
        countries=[CountryTag(code=c, name=c, mentions=1, score=0.5) for c in ("KG", "RU", "CN", "KZ", "US")],
        focus_country="KG",
        blocs=[BlocTag(code="EAEU", name="Eurasian Economic Union", explicit=True, members=["KG", "RU", "KZ"])],
        dedupe=DedupeInfo(verdict="new", cluster_id=f"c-{uri}"),
        enriched_at=t,
    )


async def publish(settings: Settings, notices: list[tuple[str, Notification]]) -> None:
    """What the sink agent does: each notification to its topic, keyed by uri, acks=all."""
    producer = AIOKafkaProducer(**client_kwargs(settings), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for topic, notice in notices:
            await producer.send_and_wait(topic, key=notice.uri.encode(), value=encode(notice))
    finally:
        await producer.stop()


def test_kcat_reads_notifications_routed_from_the_example_subscriptions(kafka_bootstrap: str, kcat: str) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    settings = Settings(
        broker=kafka_bootstrap,
        topic_prefix=prefix,
        subscriptions_file=EXAMPLE,
        partitions=2,
        notification_link_template="https://wire.example/stories/{uri}",
    )
    router = router_from_settings(settings)
    asyncio.run(ensure_topics(settings, extra=router.topics))
    stories = [seed_like_story(f"urn:wirefeed:tca:{uuid.uuid4().hex[:6]}") for _ in range(3)]
    notices = [pair for story in stories for pair in router.route(story)]
    expected_topics = {f"{prefix}wire.notifications", f"{prefix}notify.central-asia", f"{prefix}notify.trade-blocs"}
    assert {t for t, _ in notices} == expected_topics
    asyncio.run(publish(settings, notices))

    # The documented command, on the default notification topic.
    out = run_sh(doc_block("kcat-consume"), {"WIREFEED_BROKER": kafka_bootstrap, "WIREFEED_TOPIC_PREFIX": prefix})
    rows = [line.split("\t", 1) for line in out.splitlines() if line]
    got = {key: decode(Notification, value) for key, value in rows}
    sent = {n.uri: n for t, n in notices if t == f"{prefix}wire.notifications"}
    assert len(rows) == 3 and got == sent
    assert all(n.link == f"https://wire.example/stories/{n.uri.replace(':', '%3A')}" for n in got.values())

    # -J: the JSON envelope, on a subscription's own topic.
    topic = f"{prefix}notify.central-asia"
    done = subprocess.run(
        [kcat, "-C", "-b", kafka_bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-J"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    envelopes = [orjson.loads(line) for line in done.stdout.splitlines() if line]
    assert sorted(e["key"] for e in envelopes) == sorted(s.uri for s in stories)
    for e in envelopes:
        assert e["topic"] == topic
        notice = Notification.model_validate(
            orjson.loads(e["payload"]) if isinstance(e["payload"], str) else e["payload"]
        )
        assert notice.uri == e["key"] and notice.subscription == "central-asia-desk" and notice.focus_country == "KG"


async def consume_all(settings: Settings, topic: str, expected: int) -> list[tuple[bytes | None, bytes]]:
    consumer = AIOKafkaConsumer(topic, **client_kwargs(settings), auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        out: list[tuple[bytes | None, bytes]] = []
        for _ in range(60):
            batch = await consumer.getmany(timeout_ms=1000)
            out += [(m.key, m.value) for msgs in batch.values() for m in msgs if m.value is not None]
            if len(out) >= expected:
                break
        return out
    finally:
        await consumer.stop()


def test_kcat_produced_submission_is_a_valid_raw_submission(kafka_bootstrap: str, kcat: str) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    settings = Settings(broker=kafka_bootstrap, topic_prefix=prefix, partitions=1)
    asyncio.run(ensure_topics(settings))
    env = {"WIREFEED_BROKER": kafka_bootstrap, "WIREFEED_TOPIC_PREFIX": prefix, "AGENCY": "TCA"}
    submission_id = run_sh(doc_block("kcat-produce"), env).strip().splitlines()[-1]

    [(key, value)] = asyncio.run(consume_all(settings, f"{prefix}wire.raw", 1))
    raw = decode(RawSubmission, value)
    assert key == submission_id.encode() == raw.submission_id.encode()
    assert raw.agency == "TCA" and raw.format_hint == "text"
    assert raw.content_type == "text/plain; charset=utf-8"
    assert raw.payload == SEED.read_bytes()
    assert raw.received_at.tzinfo is not None


SUBSCRIPTIONS = """\
version: 1
subscriptions:
  - name: central-asia
    topic: notify.central-asia
    filter: {countries: [KG, KZ], country_match: focus}
    delivery: per_cluster
  - name: tca-jeenbekov
    topic: notify.tca
    filter: {agencies: [tca], keywords: [Jeenbekov]}
  - name: afp-only
    topic: notify.afp
    filter: {agencies: [AFP]}
"""


def kcat_lines(kcat: str, bootstrap: str, topic: str, missing_ok: bool = False) -> list[tuple[str, str]]:
    done = subprocess.run(
        [kcat, "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k\\t%s\\n"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if missing_ok and "Unknown topic or partition" in done.stderr:
        return []
    assert done.returncode == 0, f"kcat on {topic}: {done.stderr}"
    return [tuple(line.split("\t", 1)) for line in done.stdout.splitlines() if line]  # type: ignore[misc]


@pytest.mark.slow
async def test_worker_routes_the_seed_to_configured_topics_read_by_kcat(
    kafka_bootstrap: str, kcat: str, tmp_path: Path
) -> None:
    from tests.integration.harness import PipelineRun, wait_until

    subs = tmp_path / "subscriptions.yaml"
    subs.write_text(SUBSCRIPTIONS, encoding="utf-8")
    link = "https://wire.example/stories/{uri}"
    run = PipelineRun(
        bootstrap=kafka_bootstrap,
        data_dir=tmp_path / "data",
        extra_env={"WIREFEED_SUBSCRIPTIONS_FILE": str(subs), "WIREFEED_NOTIFICATION_LINK_TEMPLATE": link},
    )
    try:
        await run.create_topics()
        run.start_worker()
        seed = SEED.read_bytes()
        await run.publish(seed, "TCA", content_type="text/plain; charset=utf-8")

        def read(topic: str, missing_ok: bool = False) -> list[tuple[str, str]]:
            return kcat_lines(kcat, kafka_bootstrap, run.topic(topic), missing_ok)

        async def both() -> bool:
            return bool(await asyncio.to_thread(read, "notify.central-asia", True)) and bool(
                await asyncio.to_thread(read, "notify.tca", True)
            )

        await wait_until(both, 120, "notifications on the subscription topics", run)
        [(key_ca, ca)] = await asyncio.to_thread(read, "notify.central-asia")
        [(key_tca, tca)] = await asyncio.to_thread(read, "notify.tca")
        first, second = decode(Notification, ca), decode(Notification, tca)
        assert key_ca == key_tca == first.uri == second.uri
        assert (first.subscription, second.subscription) == ("central-asia", "tca-jeenbekov")
        assert first.verdict == "new" and first.focus_country == "KG" and first.agency == "TCA"
        assert first.headline == seed.decode().splitlines()[0]
        assert first.link == "https://wire.example/stories/" + first.uri.replace(":", "%3A").replace("/", "%2F")
        assert first.notification_id != second.notification_id
        # Created on start although nothing matched; the default topic is not used when a file is configured.
        assert await asyncio.to_thread(read, "notify.afp") == []
        assert await asyncio.to_thread(read, "wire.notifications") == []
    finally:
        run.stop()


@pytest.mark.slow
def test_worker_refuses_to_start_with_a_bad_subscriptions_file(kafka_bootstrap: str, tmp_path: Path) -> None:
    from tests.integration.harness import PipelineRun

    subs = tmp_path / "subscriptions.yaml"
    subs.write_text(SUBSCRIPTIONS.replace("[KG, KZ]", "[KG, UK]"), encoding="utf-8")
    run = PipelineRun(
        bootstrap=kafka_bootstrap,
        data_dir=tmp_path / "data",
        extra_env={"WIREFEED_SUBSCRIPTIONS_FILE": str(subs), "COLUMNS": "1000"},  # unwrapped error lines
    )
    try:
        proc = run.start_worker()
        assert proc.wait(timeout=120) != 0
        assert f"{subs}:5: subscriptions[0] (central-asia).filter.countries[1]: 'UK' is not an ISO 3166-1 code" in (
            run.logs()
        )
    finally:
        run.stop()
