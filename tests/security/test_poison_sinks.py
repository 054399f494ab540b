"""A story the database cannot hold never stops the store sink: the batch is split, the one bad story goes to
`wire.dlq` (stage ``store``, reason ``unstorable``, its original bytes) and every good story around it is stored.

The poison stories are written straight to `wire.enriched`, as a producer upstream of the store could (normalise
refuses such identities, see test_identity_fields_are_checked_at_normalise): on PostgreSQL a NUL in the uri
(``CharacterNotInRepertoireError``), an 8 KB uri that does not compress (an index row over 2704 bytes) and a
version beyond int4; on SQLite a version of 2**63, beyond the int64 SQLite holds.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from pipeline.codec import encode
from pipeline.stages.dedupe import DedupeIndex, DedupeState
from pipeline.stages.errors import StageError
from pipeline.stages.normalise import NormaliseOptions, normalise
from pipeline.stages.process import process
from pipeline.topics import DLQ, ENRICHED
from schemas import EnrichedStory, RawSubmission
from tests.integration.harness import PipelineRun, read_topic, wait_until
from tests.paths import SEED

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def seed_story() -> EnrichedStory:
    raw = RawSubmission(submission_id="seed", agency="TCA", content_type="text/plain; charset=utf-8",
                        received_at=NOW, payload=SEED.read_bytes())
    result = process(raw, DedupeIndex(DedupeState()), NormaliseOptions(), NOW)
    return result.enriched[0]


def variant(story: EnrichedStory, n: int, **update: object) -> EnrichedStory:
    return story.model_copy(update={"uri": f"urn:test:good:{n}", "submission_id": f"sub-{n}", **update})


POISON = {
    "sqlite": [{"version": 2**63}],
    "postgres": [
        {"uri": "urn:test:nul:\x00:1"},
        {"uri": "urn:test:long:" + secrets.token_urlsafe(6144)},
        {"version": 2**40},
    ],
}


@pytest.mark.kafka
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_poison_between_good_stories_goes_to_the_dlq_and_the_good_ones_are_stored(
    backend: str, kafka_bootstrap: str, tmp_path, request: pytest.FixtureRequest  # type: ignore[no-untyped-def]
) -> None:
    env = {"WIREFEED_STORE_URL": request.getfixturevalue("postgres_db_url")} if backend == "postgres" else {}
    run = PipelineRun(bootstrap=kafka_bootstrap, data_dir=tmp_path / "data", extra_env=env)
    base = seed_story()
    good = [variant(base, n) for n in range(6)]
    poison = [variant(base, 100 + i, **update) for i, update in enumerate(POISON[backend])]
    # good, poison, good, poison, ...: every poison story has good ones before and after it, in the same batch.
    sequence = [good[0], good[1]]
    for i, bad in enumerate(poison):
        sequence += [bad, good[2 + i % 4]]
    sequence += good[2:]
    try:
        await run.create_topics()
        run.start_worker()
        producer = AIOKafkaProducer(bootstrap_servers=run.bootstrap, acks="all", max_request_size=4_000_000)
        await producer.start()
        try:
            for story in sequence:
                await producer.send(run.topic(ENRICHED), encode(story), key=story.uri.encode("utf-8"))
            await producer.flush()
        finally:
            await producer.stop()

        async def all_good_stored() -> bool:
            return await run.stored_count() >= len(good)

        await wait_until(all_good_stored, 120, "every good story in the store", run)

        async def all_rejected() -> list[bytes] | None:
            values = await read_topic(run.bootstrap, run.topic(DLQ))
            return values if len(values) >= len(poison) else None

        docs = [orjson.loads(v) for v in await wait_until(all_rejected, 60, "every poison story on the DLQ", run)]
        by_original = {base64.b64decode(d["original"]): d for d in docs}
        for bad in poison:
            doc = by_original[encode(bad)]
            assert (doc["stage"], doc["reason"]) == ("store", "unstorable"), doc
            assert doc["submission_id"] == bad.submission_id and doc["agency"] == "TCA"
        assert len(docs) == len(poison)
        assert await run.stored_count() == len(good)
        assert run.workers[0].poll() is None
    finally:
        run.stop()


def test_identity_fields_are_checked_at_normalise() -> None:
    """Normalise refuses an identity the stores cannot hold, with reason ``invalid_identity``."""
    def ninjs(uri: str, version: object = 1) -> RawSubmission:
        doc = {"uri": uri, "version": version, "headline": "A headline", "body_text": "A body of text."}
        return RawSubmission(submission_id="s", agency="TCA", format_hint="ninjs", content_type="application/json",
                             received_at=NOW, payload=orjson.dumps(doc))

    assert normalise(ninjs("urn:test:fine:1")).uri == "urn:test:fine:1"
    # Agencies' own identifiers that are not absolute URIs identify stories too.
    for real in ("tag_reuters.com_2014_newsml_KBN0FL0NN", "20160512:RTZ:8883:0", "BD-20160112123540",
                 "fd8e441b-a698-4411-9246-7d5de21cced9", "www.elmundo.es/elmundo/2012/10/28/espana/1351388909.html"):
        assert normalise(ninjs(real)).uri == real
    for uri, version in [("urn:test:\x00nul", 1), ("urn:test:" + "x" * 8192, 1), ("no scheme here", 1),
                         ("urn:test:tab\there", 1), ("urn:test:ok", 2**40)]:
        with pytest.raises(StageError) as err:
            normalise(ninjs(uri, version))
        assert err.value.reason == "invalid_identity", (uri[:30], version)
