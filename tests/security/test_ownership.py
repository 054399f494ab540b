"""A uri belongs to the agency whose story first used it: no other agency can send versions, corrections or kills
of it. Refused in dedupe (reason ``foreign_uri``, stage ``dedupe``) and, whatever reaches it, in the store (reason
``foreign_uri``, stage ``store``). Trusted producers on `wire.raw` are held to it by the envelope's agency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from pipeline.ingest.publisher import make_submission
from pipeline.sinks.store import Store, StoreDataError, open_store
from pipeline.stages.dedupe import DedupeIndex, DedupeState
from pipeline.stages.normalise import NormaliseOptions
from pipeline.stages.process import process
from pipeline.topics import DLQ
from schemas import RawSubmission
from tests.integration.harness import PipelineRun, read_topic, wait_until
from tests.integration.store.store_factory import kill, story
from tests.security import stores

store = stores.store  # the fixture: SQLite and PostgreSQL

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
URI = "urn:bbb:story:42"


def ninjs(agency: str, version: int, headline: str, *, pubstatus: str = "usable", minutes: int = 0) -> RawSubmission:
    doc = {"uri": URI, "version": version, "headline": headline, "pubstatus": pubstatus,
           "versioncreated": (T0 + timedelta(minutes=minutes)).isoformat(),
           "body_text": f"{headline}. The story as {agency} wrote it, with enough words to be a story."}
    return make_submission(orjson.dumps(doc), agency, format_hint="ninjs", content_type="application/json",
                           received_at=T0 + timedelta(minutes=minutes))


def test_dedupe_refuses_another_agencys_versions_and_kills() -> None:
    index = DedupeIndex(DedupeState())
    options = NormaliseOptions()
    first = process(ninjs("BBB", 1, "Original by BBB"), index, options, T0)
    assert [s.agency for s in first.enriched] == ["BBB"]
    for raw in (ninjs("AAA", 2, "Rewritten by AAA", minutes=1),
                ninjs("AAA", 3, "Withdrawn by AAA", pubstatus="canceled", minutes=2),
                ninjs("AAA", 1, "Same version by AAA", minutes=3)):
        result = process(raw, index, options, T0)
        assert not result.enriched and not result.duplicates
        [rejection] = result.rejections
        assert (rejection.stage, rejection.reason, rejection.agency) == ("dedupe", "foreign_uri", "AAA")
        assert rejection.submission_id == raw.submission_id and URI.encode() in rejection.original
    # The owner still updates and withdraws its own story.
    update = process(ninjs("BBB", 2, "Updated by BBB", minutes=4), index, options, T0)
    assert update.enriched[0].dedupe.verdict == "update"
    withdrawn = process(ninjs("BBB", 3, "Withdrawn by BBB", pubstatus="canceled", minutes=5), index, options, T0)
    assert withdrawn.enriched[0].dedupe.verdict == "kill"


async def test_the_store_refuses_another_agencys_overwrite_and_withdrawal(store: Store) -> None:
    await store.write_batch([story(URI, 1, agency="BBB", headline="Original by BBB")])
    for foreign in (story(URI, 2, agency="AAA", headline="Rewritten by AAA", minutes=1),
                    kill(URI, 3, how="pubstatus").model_copy(update={"agency": "AAA"})):
        with pytest.raises(StoreDataError) as err:
            await store.write_batch([foreign])
        assert err.value.reason == "foreign_uri"
    # Two agencies' stories under one new uri in one batch: refused as a batch (the sink then writes them apart).
    with pytest.raises(StoreDataError):
        await store.write_batch([story("urn:new:1", 1, agency="AAA"), story("urn:new:1", 2, agency="BBB")])
    current = await store.get_story(URI)
    assert current is not None and not current.withdrawn
    assert (current.story.agency, current.story.headline, current.story.version) == ("BBB", "Original by BBB", 1)
    assert [v.version for v in current.versions] == [1]  # nothing of AAA's in the history either
    await store.write_batch([story(URI, 2, agency="BBB", headline="Updated by BBB", minutes=2)])
    current = await store.get_story(URI)
    assert current is not None and current.story.headline == "Updated by BBB"


@pytest.mark.kafka
@pytest.mark.slow
async def test_a_trusted_producer_cannot_rewrite_or_withdraw_another_agencys_story(kafka_bootstrap: str,
                                                                                   tmp_path: Path) -> None:
    run = PipelineRun(bootstrap=kafka_bootstrap, data_dir=tmp_path / "data")
    try:
        await run.create_topics()
        run.start_worker()
        from pipeline.ingest.publisher import RawPublisher

        async with RawPublisher(run.settings) as pub:
            await pub.publish(ninjs("BBB", 1, "Original by BBB"))
            await wait_until(run.stored_count, 120, "BBB's story stored", run)
            foreign = [ninjs("AAA", 2, "Rewritten by AAA", minutes=1),
                       ninjs("AAA", 3, "Withdrawn by AAA", pubstatus="canceled", minutes=2)]
            for raw in foreign:
                await pub.publish(raw)

        async def refused() -> list[bytes] | None:
            values = await read_topic(run.bootstrap, run.topic(DLQ))
            return values if len(values) >= len(foreign) else None

        docs = [orjson.loads(v) for v in await wait_until(refused, 120, "both foreign stories on the DLQ", run)]
        assert sorted((d["stage"], d["reason"], d["agency"], d["submission_id"]) for d in docs) == sorted(
            ("dedupe", "foreign_uri", "AAA", raw.submission_id) for raw in foreign)
        db = await open_store(run.settings.resolved_store_url)
        try:
            current = await db.get_story(URI)
        finally:
            await db.close()
        assert current is not None and not current.withdrawn
        assert (current.story.agency, current.story.headline) == ("BBB", "Original by BBB")
    finally:
        run.stop()
