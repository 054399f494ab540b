"""The dedupe agent's batch steps driven in-process: a broker in a dict, workers that crash and recover their
tables from the changelog records the broker acknowledged (tests/unit/dedupe/inprocess.py)."""

from __future__ import annotations

import asyncio
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.eval_dedupe import T0, bases, edit_added_paragraph, edit_typos, make_story
from pipeline.stages.dedupe import DedupeConfig, DedupeIndex, DedupeState
from schemas import Story
from tests.unit.dedupe.inprocess import DLQ_TOPIC, TOPICS, Broker, BrokerDown, Worker, run_until_idle

BASES = bases()
SEED = BASES[0]


def story(uri: str, agency: str = "TCA", *, base: int = 0, version: int = 1, edit: str = "", **extra: object) -> Story:
    b = BASES[base]
    headline, body = b.headline, list(b.body)
    if edit == "typos":
        headline, body = edit_typos(b, random.Random(uri))
    elif edit == "paragraph":
        headline, body = edit_added_paragraph(b, random.Random(uri))
    return make_story(uri, agency, headline, body, version=version, language=b.language, **extra)


def verdicts(broker: Broker) -> dict[tuple[str, int], list[str]]:
    """(uri, version) → every verdict dedupe sent for it, forwarded or recorded."""
    out: dict[tuple[str, int], list[str]] = {}
    for v in broker.values(TOPICS.enriched):
        out.setdefault((v["uri"], v["version"]), []).append(v["dedupe"]["verdict"])
    for v in broker.values(TOPICS.duplicates):
        out.setdefault((v["uri"], v["version"]), []).append(v["verdict"])
    return out


def enriched(broker: Broker, uri: str, version: int = 1) -> list[dict[str, object]]:
    return [v for v in broker.values(TOPICS.enriched) if v["uri"] == uri and v["version"] == version]


async def one_worker(*stories: Story, local_near: bool = True) -> Broker:
    broker = Broker()
    worker = Worker(broker, range(broker.partitions), local_near=local_near)
    for s in stories:
        broker.publish(s)
        await run_until_idle([worker])
    return broker


# --------------------------------------------------------------------------------------------- verdicts


async def test_an_exact_resend_is_recorded_as_a_duplicate() -> None:
    first = story("urn:tca:1")
    broker = await one_worker(first, first.model_copy(update={"submission_id": "resent"}))
    assert verdicts(broker) == {("urn:tca:1", 1): ["new", "duplicate"]}
    [record] = broker.values(TOPICS.duplicates)
    assert record["duplicate_of"] == "urn:tca:1@1" and record["submission_id"] == "resent"


async def test_versions_update_correct_kill_and_stale() -> None:
    v1, v2 = story("urn:tca:1"), story("urn:tca:1", version=2, edit="paragraph")
    v3 = story("urn:tca:1", version=3, signals=["correction"])
    v4 = story("urn:tca:1", version=4, pubstatus="canceled")
    broker = await one_worker(v1, v2, v3, v4, v2)
    assert verdicts(broker) == {("urn:tca:1", 1): ["new"], ("urn:tca:1", 2): ["update", "stale"],
                                ("urn:tca:1", 3): ["correction"], ("urn:tca:1", 4): ["kill"]}  # fmt: skip
    clusters = {v["dedupe"]["cluster_id"] for v in broker.values(TOPICS.enriched)}
    assert len(clusters) == 1


@pytest.mark.parametrize("local_near", [True, False], ids=["in-process", "through-topics"])
async def test_copies_across_agencies_join_the_original_cluster(local_near: bool) -> None:
    original = story("urn:tca:seed", "TCA")
    exact = story("urn:ap:copy", "AP")
    edited = story("urn:afp:copy", "AFP", edit="typos")
    other = story("urn:tca:other", "TCA", base=3)
    broker = await one_worker(original, exact, edited, other, local_near=local_near)
    assert verdicts(broker) == {("urn:tca:seed", 1): ["new"], ("urn:ap:copy", 1): ["duplicate"],
                                ("urn:afp:copy", 1): ["near_duplicate"], ("urn:tca:other", 1): ["new"]}  # fmt: skip
    [dup] = broker.values(TOPICS.duplicates)
    [near] = enriched(broker, "urn:afp:copy")
    [first] = enriched(broker, "urn:tca:seed")
    assert dup["duplicate_of"] == near["dedupe"]["duplicate_of"] == "urn:tca:seed@1"
    assert dup["cluster_id"] == near["dedupe"]["cluster_id"] == first["dedupe"]["cluster_id"]
    if not local_near:
        assert broker.values(TOPICS.near) and broker.values(TOPICS.answers)


async def test_two_workers_over_topics_match_the_one_process_index() -> None:
    """Half of the partitions each, probes for the other's buckets through the topics: same verdicts as
    DedupeIndex when stories come one after the other."""
    stories = [story(f"urn:s:{i}", agency, base=i % 6, edit=edit)
               for i, (agency, edit) in enumerate([("TCA", ""), ("AP", ""), ("AFP", "typos"), ("DPA", "paragraph"),
                                                   ("AP", "typos"), ("NTB", ""), ("TT", ""), ("AFP", "")] * 3)]
    broker = Broker()
    workers = [Worker(broker, [0, 2], local_near=True), Worker(broker, [1, 3], local_near=True)]
    index = DedupeIndex(DedupeState(), DedupeConfig())
    expected = {}
    for s in stories:
        broker.publish(s)
        await run_until_idle(workers)
        expected[(s.uri, 1)] = [index.check(s).info.verdict]
    assert verdicts(broker) == expected
    assert broker.values(TOPICS.near), "some probes went through the topic"


# --------------------------------------------------------------------------------------------- ownership, DLQ


async def test_no_agency_can_touch_another_agencys_story() -> None:
    mine = story("urn:tca:1", "TCA")
    broker = Broker()
    worker = Worker(broker, range(4))
    broker.publish(mine)
    await run_until_idle([worker])
    state = dict(worker.tables.uris.data)
    attempts = [story("urn:tca:1", "AP"), story("urn:tca:1", "AP", version=2, edit="paragraph"),
                story("urn:tca:1", "AP", version=2, pubstatus="canceled"), story("urn:tca:1", "AP", version=0 + 1)]
    for s in attempts:
        broker.publish(s)
    await run_until_idle([worker])
    rejected = broker.values(DLQ_TOPIC)
    assert [(r["reason"], r["agency"], r["stage"]) for r in rejected] == [("foreign_uri", "AP", "dedupe")] * 4
    assert worker.tables.uris.data == state
    assert verdicts(broker) == {("urn:tca:1", 1): ["new"]}
    broker.publish(story("urn:tca:1", "TCA", version=2, edit="paragraph"))  # the owner still can
    await run_until_idle([worker])
    assert verdicts(broker)[("urn:tca:1", 2)] == ["update"]


async def test_bad_input_goes_to_the_dlq_and_the_feed_goes_on() -> None:
    broker = Broker()
    worker = Worker(broker, range(4))
    broker.publish(b"{not json", key=b"k1")
    broker.publish(b'{"uri": "urn:x"}', key=b"k2")  # not a Story
    broker.append(TOPICS.answers, 0, b"urn:x", b'{"ref": "urn:x@1"}')  # an answer without its fields
    broker.append(TOPICS.near, 1, b"AAAA", b'{"t": "probe"}')  # a probe without its probe
    broker.publish(story("urn:tca:after"))
    await run_until_idle([worker])
    reasons = sorted((r["source_topic"], r["reason"]) for r in broker.values(DLQ_TOPIC))
    assert reasons == sorted([(TOPICS.normalised, "bad_envelope"), (TOPICS.normalised, "bad_envelope"),
                              (TOPICS.answers, "bad_envelope"), (TOPICS.near, "internal_error")])  # fmt: skip
    assert verdicts(broker) == {("urn:tca:after", 1): ["new"]}


# --------------------------------------------------------------------------------------------- crashes


@pytest.mark.parametrize("failure", ["fail_next_flush", "fail_next_changelog"])
async def test_a_batch_redelivered_after_a_crash_is_emitted_again(failure: str) -> None:
    """A worker dies before its batch is finished (outputs, or its table writes, not acknowledged): the batch is
    read again by a worker recovered from the changelog, and its stories are judged and sent again, not taken for
    copies of themselves."""
    broker = Broker()
    worker = Worker(broker, range(4))
    original, copy = story("urn:tca:1"), story("urn:ap:1", "AP", edit="typos")
    broker.publish(original)
    await run_until_idle([worker])
    broker.publish(copy)
    setattr(broker, failure, True)
    with pytest.raises(BrokerDown):
        await run_until_idle([worker])
    del worker  # the process is gone; nothing of the batch reached the changelog
    restarted = Worker(broker, range(4))
    await run_until_idle([restarted])
    after = verdicts(broker)
    assert after[("urn:tca:1", 1)] == ["new"]
    # Outputs acknowledged before the crash may be sent twice (sinks are idempotent), never lost, never re-judged.
    assert set(after[("urn:ap:1", 1)]) == {"near_duplicate"} and len(after[("urn:ap:1", 1)]) >= 1
    assert restarted.tables.near.data and restarted.tables.uris.data


@pytest.mark.parametrize("whole_writes", [0, 1])
async def test_a_torn_changelog_write_keeps_the_original_findable(whole_writes: int) -> None:
    """A worker dies while a batch's table writes are landing, so part of them reached the changelogs (records of
    different partitions land independently). After the restart, the replayed original and a copy published later
    are judged as without the crash: the copy still finds the original's bucket entry."""
    broker = Broker()
    worker = Worker(broker, range(4))
    broker.publish(story("urn:tca:1"))
    broker.tear_changelog = whole_writes
    with pytest.raises(BrokerDown):
        await run_until_idle([worker])
    restarted = Worker(broker, range(4))
    await run_until_idle([restarted])
    broker.publish(story("urn:ap:1", "AP"))
    await run_until_idle([restarted])
    after = verdicts(broker)
    assert set(after[("urn:tca:1", 1)]) == {"new"}
    assert after[("urn:ap:1", 1)] == ["duplicate"]


async def test_state_recovered_from_the_changelog_equals_the_state_in_memory() -> None:
    broker = Broker()
    worker = Worker(broker, range(4), local_near=False)
    for i in range(30):
        edit = ("", "typos", "paragraph")[i % 3]
        broker.publish(story(f"urn:s:{i}", "AP" if i % 2 else "TCA", base=i % 8, edit=edit))
    await run_until_idle([worker])
    recovered = Worker(broker, range(4))
    for name in ("uris", "pending", "near"):
        assert getattr(recovered.tables, name).data == getattr(worker.tables, name).data, name


async def test_expiry_writes_tombstones_that_recovery_applies() -> None:
    from datetime import timedelta

    broker = Broker()
    worker = Worker(broker, range(4))
    broker.publish(story("urn:tca:old"))
    await run_until_idle([worker])
    removed = await worker.deduper.evict(T0 + timedelta(days=8), range(4), range(4))
    assert removed == 2  # the uri entry and its one bucket entry
    assert not worker.tables.uris.data and not worker.tables.near.data
    recovered = Worker(broker, range(4))
    assert not recovered.tables.uris.data and not recovered.tables.near.data


# --------------------------------------------------------------------------------------------- model-based

ACTIONS = st.lists(
    st.tuples(st.sampled_from(["new", "copy", "edited", "version", "resend", "foreign"]), st.integers(0, 9),
              st.sampled_from([None, None, "fail_next_flush", "fail_next_changelog", "tear_0", "tear_1", "tear_2"])),
    min_size=1, max_size=12,
)  # fmt: skip


def _scenario(actions: list[tuple[str, int, str | None]]) -> list[Story]:
    out: list[Story] = []
    for i, (kind, n, _) in enumerate(actions):
        base = n % 6
        if kind == "new" or not out:
            out.append(story(f"urn:tca:{i}", "TCA", base=base))
        elif kind == "copy":
            out.append(story(f"urn:ap:{i}", "AP", base=base))
        elif kind == "edited":
            out.append(story(f"urn:afp:{i}", "AFP", base=base, edit="typos"))
        elif kind == "version":
            prev = out[n % len(out)]
            out.append(story(prev.uri, prev.agency, base=base, version=prev.version + 1, edit="paragraph"))
        elif kind == "resend":
            out.append(out[n % len(out)].model_copy(update={"submission_id": f"again-{i}"}))
        else:
            prev = out[n % len(out)]
            out.append(story(prev.uri, "NOT" + prev.agency, base=base, version=prev.version + 1))
    return out


async def _run(stories: list[Story], crashes: list[str | None], local_near: bool) -> Broker:
    broker = Broker()
    owned = [[0, 2], [1, 3]]
    workers = [Worker(broker, o, local_near=local_near) for o in owned]
    for s, crash in zip(stories, crashes, strict=True):
        broker.publish(s)
        if crash:
            if crash.startswith("tear_"):
                broker.tear_changelog = int(crash.removeprefix("tear_"))
            else:
                setattr(broker, crash, True)
            try:
                await run_until_idle(workers)
            except BrokerDown:
                workers = [Worker(broker, o, local_near=local_near) for o in owned]
            # A batch with fewer writes than the crash needed finished whole: no crash this time.
            broker.fail_next_flush = broker.fail_next_changelog = False
            broker.tear_changelog = None
        await run_until_idle(workers)
    return broker


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS, st.booleans())
def test_crashes_lose_nothing_and_change_no_verdict(actions: list[tuple[str, int, str | None]],
                                                    local_near: bool) -> None:
    """Any stream of new stories, copies, versions, resends and foreign uris, with crashes before a batch's
    outputs or its table writes are acknowledged, or while its table writes land in part: every story gets the
    verdict it gets without crashes (possibly sent again; a story whose own state landed is not recorded as a
    resend of itself), nothing is lost, and the DLQ holds the same rejections."""
    stories = _scenario(actions)
    crashes = [c for _, _, c in actions]
    calm = asyncio.run(_run(stories, [None] * len(stories), local_near))
    crashed = asyncio.run(_run(stories, crashes, local_near))
    expected = {k: sorted(set(v)) for k, v in verdicts(calm).items()}
    assert {k: sorted(set(v)) for k, v in verdicts(crashed).items()} == expected
    rejected = [{(r["submission_id"], r["reason"]) for r in b.values(DLQ_TOPIC)} for b in (calm, crashed)]
    assert rejected[0] == rejected[1]
