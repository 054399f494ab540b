"""An embargoed story is stored at once but neither served nor notified before its embargo time; at that time it
is served, and a timer in the store worker notifies it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi import FastAPI

from pipeline.api.read import read_router
from pipeline.ingest.publisher import RawPublisher, make_submission
from pipeline.sinks.store import Store, StoryQuery
from pipeline.topics import NOTIFICATIONS
from tests.apikeys import authenticator, issue_key
from tests.integration.harness import PipelineRun, read_topic, wait_until
from tests.integration.store.store_factory import story
from tests.security import stores

store = stores.store  # the fixture: SQLite and PostgreSQL


async def test_an_embargoed_story_is_held_until_its_time(store: Store) -> None:
    now = datetime.now(UTC)
    until = now + timedelta(hours=2)
    held = story("urn:emb:1").model_copy(update={"embargoed": until})
    await store.write_batch([held, story("urn:open:1")])

    before, after = now + timedelta(hours=1), until + timedelta(seconds=1)
    assert [s.uri for s in (await store.query(StoryQuery(at=before))).items] == ["urn:open:1"]
    assert {s.uri for s in (await store.query(StoryQuery(at=after))).items} == {"urn:emb:1", "urn:open:1"}
    assert [s.uri for s in (await store.query(StoryQuery(text="president"))).items] == ["urn:open:1"]
    assert await store.get_story("urn:emb:1") is None  # now: still under embargo
    assert await store.get_cluster("cl-urn:emb:1") == []

    app = FastAPI()
    app.include_router(read_router(lambda: store, authenticator(store)))
    headers = {"X-API-Key": await issue_key(store, "newsroom", "reader")}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api",
                                 headers=headers) as client:
        assert (await client.get("/stories/urn:emb:1")).status_code == 404
        assert [s["uri"] for s in (await client.get("/stories")).json()["items"]] == ["urn:open:1"]

    assert await store.due_embargoes(before) == []
    [due] = await store.due_embargoes(after)
    assert (due.uri, due.version) == ("urn:emb:1", 1)
    await store.mark_released([(due.uri, due.version)])
    assert await store.due_embargoes(after) == []
    # A new version under a new embargo is held again.
    await store.write_batch([held.model_copy(update={"version": 2, "embargoed": until + timedelta(hours=1)})])
    assert await store.due_embargoes(after) == []
    assert [s.version for s in await store.due_embargoes(until + timedelta(hours=2))] == [2]


#: How long the worker's test story is embargoed, from its publication to a running pipeline.
HOLD_S = 10
#: The first story's text: unlike the others', so that dedupe does not hold either back as a copy of it.
FIRST_BODY = "Ministers gathered in Astana on Tuesday to discuss grain exports to Uzbekistan and Tajikistan."


@pytest.mark.kafka
@pytest.mark.slow
async def test_the_worker_notifies_an_embargoed_story_at_its_time(kafka_bootstrap: str, tmp_path: Path) -> None:
    run = PipelineRun(bootstrap=kafka_bootstrap, data_dir=tmp_path / "data",
                      extra_env={"WIREFEED_EMBARGO_CHECK_SECONDS": "0.5"})
    try:
        await run.create_topics()
        run.start_worker()

        def ninjs(uri: str, embargo: datetime | None,
                  body: str = "Officials met in Bishkek on Monday to talk about trade with Kazakhstan.") -> bytes:
            doc = {"uri": uri, "version": 1, "headline": f"Headline of {uri}", "body_text": body}
            if embargo:
                doc["embargoed"] = embargo.isoformat()
            return orjson.dumps(doc)

        async def notified() -> set[str]:
            return {orjson.loads(v)["uri"] for v in await read_topic(run.bootstrap, run.topic(NOTIFICATIONS))}

        async with RawPublisher(run.settings) as pub:
            # A first story through the whole pipeline: the worker is up, so the embargo below need only cover
            # the time a story takes through a running pipeline, not the worker's start.
            await pub.publish(make_submission(ninjs("urn:emb:first", None, FIRST_BODY), "TCA", format_hint="ninjs",
                                              content_type="application/json"))
            await wait_until(lambda: _has(notified, "urn:emb:first"), 120, "the first story notified", run)

            until = datetime.now(UTC) + timedelta(seconds=HOLD_S)
            for uri, embargo in (("urn:emb:held", until), ("urn:emb:open", None)):
                await pub.publish(make_submission(ninjs(uri, embargo), "TCA", format_hint="ninjs",
                                                  content_type="application/json"))

        async def all_stored() -> bool:
            return await run.stored_count() >= 3

        await wait_until(all_stored, 60, "the three stories stored", run)
        await wait_until(lambda: _has(notified, "urn:emb:open"), 30, "the open story notified", run)
        assert datetime.now(UTC) < until, "the machine was too slow to see the embargo hold"
        assert await notified() == {"urn:emb:first", "urn:emb:open"}
        await asyncio.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()))
        assert await wait_until(lambda: _has(notified, "urn:emb:held"), 30, "the held story notified", run)
        assert await notified() == {"urn:emb:first", "urn:emb:open", "urn:emb:held"}
    finally:
        run.stop()


async def _has(found, uri: str) -> bool:  # type: ignore[no-untyped-def]
    return uri in await found()
