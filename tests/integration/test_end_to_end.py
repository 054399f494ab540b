"""The walking skeleton end to end, on real Apache Kafka and on the embedded broker.

A story published to `wire.raw` reaches the SQLite store once and the notification topic once; a resend adds
nothing and leaves an audit record on `wire.duplicates`; bad submissions land on `wire.dlq` and do not stop the
stream.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import orjson
import pytest

from pipeline.config import embedded_worker_env
from pipeline.sinks.store import StoryQuery, open_store
from pipeline.topics import DLQ, DUPLICATES, NOTIFICATIONS
from tests.integration.harness import PipelineRun, read_topic, wait_until
from tests.paths import SEED

pytestmark = pytest.mark.slow


@pytest.fixture(params=["kafka", "embedded"])
def run(request: pytest.FixtureRequest, tmp_path) -> Iterator[PipelineRun]:  # type: ignore[no-untyped-def]
    if request.param == "kafka":
        request.applymarker(pytest.mark.kafka)
        bootstrap = request.getfixturevalue("kafka_bootstrap")
        env: dict[str, str] = {}
    else:
        bootstrap = request.getfixturevalue("embedded_bootstrap")
        # What `wirefeed run` gives its workers on the embedded broker: Tansu answers a JoinGroup only after half
        # the session timeout (30 s at the default), so the worker joins in 1 s instead.
        env = embedded_worker_env(os.environ)
    pipeline = PipelineRun(bootstrap=bootstrap, data_dir=tmp_path / "data", idempotence=request.param == "kafka",
                           extra_env=env)
    yield pipeline
    pipeline.stop()


async def test_seed_reaches_store_and_notification_once(run: PipelineRun) -> None:
    await run.create_topics()
    run.start_worker()
    seed = SEED.read_bytes()
    await run.publish(seed, "TCA", content_type="text/plain; charset=utf-8")

    notifications = run.topic(NOTIFICATIONS)
    await wait_until(lambda: read_topic(run.bootstrap, notifications), 90, "the seed's notification", run)
    assert await run.stored_count() == 1
    store = await open_store(run.settings.resolved_store_url)
    try:
        page = await store.query(StoryQuery(countries=["KG"]))
    finally:
        await store.close()
    [story] = page.items
    assert story.agency == "TCA"
    assert story.headline == seed.decode().splitlines()[0]
    assert story.focus_country == "KG"
    assert story.dedupe.verdict == "new"
    [notice] = [orjson.loads(v) for v in await read_topic(run.bootstrap, notifications)]
    assert notice["uri"] == story.uri and notice["verdict"] == "new" and notice["focus_country"] == "KG"

    # The same story again: dedupe keeps it back and says so on wire.duplicates.
    await run.publish(seed, "TCA", content_type="text/plain; charset=utf-8")
    duplicates = run.topic(DUPLICATES)
    [dup] = [orjson.loads(v) for v in
             await wait_until(lambda: read_topic(run.bootstrap, duplicates), 60, "the duplicate record", run)]
    assert dup["verdict"] == "duplicate" and dup["uri"] == story.uri
    assert dup["duplicate_of"] == f"{story.uri}@{story.version}"
    assert await run.stored_count() == 1
    assert len(await read_topic(run.bootstrap, notifications)) == 1


BAD = [
    (b"Headline\n\n\xff\xfe\xfa not \xc3\x28 utf-8 \xed\xa0\x80", "text", "text/plain; charset=utf-8", "undecodable"),
    (b"   \n\n  \n", "text", "text/plain", "empty_body"),
    (b'{"uri": "x", "headline": [[[', "ninjs", "application/json", "malformed_json"),
]


async def test_bad_submissions_go_to_dlq_and_the_stream_goes_on(run: PipelineRun) -> None:
    await run.create_topics()
    run.start_worker()
    for payload, fmt, ctype, _ in BAD:
        await run.publish(payload, "BADCO", format_hint=fmt, content_type=ctype)
    await run.publish(SEED.read_bytes(), "TCA")

    await wait_until(run.stored_count, 90, "the good story in the store", run)
    dlq = run.topic(DLQ)
    rejections = await wait_until(
        lambda: _at_least(read_topic(run.bootstrap, dlq), len(BAD)), 60, "three rejections", run
    )
    by_original = {}
    for value in rejections:
        doc = orjson.loads(value)
        by_original[doc["original"]] = doc
    import base64

    for payload, _, _, reason in BAD:
        doc = by_original[base64.b64encode(payload).decode()]
        assert doc["reason"] == reason, doc
        assert doc["stage"] == "normalise" and doc["agency"] == "BADCO" and doc["message"]
    assert await run.stored_count() == 1


async def _at_least(coro, n: int):  # type: ignore[no-untyped-def]
    values = await coro
    return values if len(values) >= n else None
