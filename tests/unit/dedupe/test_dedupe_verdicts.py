"""Every verdict of the dedupe stage, over plain dicts as state."""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.eval_dedupe import T0, bases, make_story
from pipeline.stages.dedupe import DedupeConfig, DedupeIndex, DedupeState, UriIndex
from schemas import Story

SEED = bases()[0]
OTHER = bases()[7]  # a distinct story on the same topic (Kyrgyzstan and Russia)


def seed(uri: str = "urn:tca:jeenbekov", version: int = 1, at: datetime = T0, **kw: object) -> Story:
    body = kw.pop("body", list(SEED.body))
    return make_story(uri, "TCA", str(kw.pop("headline", SEED.headline)), body, version=version, at=at, **kw)  # type: ignore[arg-type]


def edited(uri: str = "urn:reuters:kg-visit", at: datetime = T0 + timedelta(minutes=3)) -> Story:
    body = list(SEED.body)
    body[0] = body[0].replace("inauguration", "inaugration")
    body.append("The Kremlin did not comment on the talks.")
    return make_story(uri, "Reuters", "Kyrgyz leader vows closer Russia ties", body, at=at)


@pytest.fixture
def index() -> DedupeIndex:
    return DedupeIndex(DedupeState({}, {}))


def test_first_story_is_new_and_starts_its_cluster(index: DedupeIndex) -> None:
    d = index.check(seed())
    assert d.info.verdict == "new" and d.forward and d.record is None
    assert d.info.duplicate_of is None
    assert len(d.info.cluster_id) == 11


def test_same_uri_and_version_is_a_duplicate(index: DedupeIndex) -> None:
    first = index.check(seed())
    again = index.check(seed(at=T0 + timedelta(hours=2)))
    assert again.info.verdict == "duplicate" and not again.forward
    assert again.info.duplicate_of == "urn:tca:jeenbekov@1"
    assert again.info.cluster_id == first.info.cluster_id
    assert again.record is not None and again.record.verdict == "duplicate"
    assert again.record.duplicate_of == "urn:tca:jeenbekov@1" and again.record.uri == "urn:tca:jeenbekov"


def test_same_content_under_another_uri_is_a_duplicate(index: DedupeIndex) -> None:
    first = index.check(seed())
    copy = index.check(seed(uri="urn:aggregator:12345", at=T0 + timedelta(minutes=1)))
    assert copy.info.verdict == "duplicate" and not copy.forward
    assert copy.info.duplicate_of == "urn:tca:jeenbekov@1"
    assert copy.info.cluster_id == first.info.cluster_id
    assert copy.record is not None and copy.record.similarity == 1.0


def test_newer_version_is_an_update_in_the_same_cluster(index: DedupeIndex) -> None:
    first = index.check(seed())
    body = [*SEED.body, "Jeenbekov later flew to Sochi."]
    upd = index.check(seed(version=2, at=T0 + timedelta(hours=1), body=body))
    assert upd.info.verdict == "update" and upd.forward and upd.record is None
    assert upd.info.cluster_id == first.info.cluster_id
    assert upd.info.duplicate_of == "urn:tca:jeenbekov@1"


def test_correction_signal(index: DedupeIndex) -> None:
    index.check(seed())
    d = index.check(seed(version=2, at=T0 + timedelta(hours=1), signals=["correction"]))
    assert d.info.verdict == "correction" and d.forward


@pytest.mark.parametrize("kill", [{"pubstatus": "canceled"}, {"signals": ["kill"]}])
def test_kill_by_pubstatus_or_signal(index: DedupeIndex, kill: dict[str, object]) -> None:
    first = index.check(seed())
    d = index.check(seed(version=2, at=T0 + timedelta(hours=1), **kill))
    assert d.info.verdict == "kill" and d.forward and d.info.cluster_id == first.info.cluster_id


def test_kill_of_the_same_version_still_passes_once(index: DedupeIndex) -> None:
    index.check(seed())
    assert index.check(seed(pubstatus="canceled")).info.verdict == "kill"
    assert index.check(seed(pubstatus="canceled")).info.verdict == "duplicate"


def test_late_older_version_is_stale_and_never_overwrites(index: DedupeIndex) -> None:
    index.check(seed(version=3, at=T0 + timedelta(hours=3)))
    late = index.check(seed(version=2, at=T0 + timedelta(hours=2)))
    assert late.info.verdict == "stale" and not late.forward
    assert late.info.duplicate_of == "urn:tca:jeenbekov@3"
    assert late.record is not None and late.record.verdict == "stale"
    # version 3 is still the one remembered: v3 again is a duplicate, v4 an update
    assert index.check(seed(version=3, at=T0 + timedelta(hours=4))).info.verdict == "duplicate"
    assert index.check(seed(version=4, at=T0 + timedelta(hours=4))).info.verdict == "update"


def test_edited_copy_under_another_uri_is_a_linked_near_duplicate(index: DedupeIndex) -> None:
    first = index.check(seed())
    d = index.check(edited())
    assert d.info.verdict == "near_duplicate" and d.forward and d.record is None
    assert d.info.duplicate_of == "urn:tca:jeenbekov@1"
    assert d.info.cluster_id == first.info.cluster_id
    assert d.info.similarity is not None and 0.75 <= d.info.similarity < 1.0


def test_drop_policy_keeps_near_duplicates_out_and_records_them() -> None:
    index = DedupeIndex(DedupeState(), DedupeConfig(near_policy="drop"))
    index.check(seed())
    d = index.check(edited())
    assert d.info.verdict == "near_duplicate" and not d.forward
    assert d.record is not None and d.record.duplicate_of == "urn:tca:jeenbekov@1"


def test_distinct_story_on_the_same_topic_is_new(index: DedupeIndex) -> None:
    first = index.check(seed())
    other = index.check(make_story("urn:interfax:1", OTHER.agency, OTHER.headline, list(OTHER.body)))
    assert other.info.verdict == "new" and other.info.cluster_id != first.info.cluster_id


def test_cluster_is_stable_for_versions_and_copies(index: DedupeIndex) -> None:
    root = index.check(seed()).info.cluster_id
    copy = edited()
    assert index.check(copy).info.cluster_id == root
    # a new version of the copy stays in the root's cluster, and so does a copy of the copy
    v2 = copy.model_copy(update={"version": 2, "versioncreated": T0 + timedelta(hours=1)})
    assert index.check(v2).info.cluster_id == root
    copy_of_copy = copy.model_copy(update={"uri": "urn:third:9", "received_at": T0 + timedelta(hours=2)})
    d = index.check(copy_of_copy)
    assert d.info.verdict == "duplicate" and d.info.cluster_id == root


def test_state_is_compact_orjson_serialisable_strings(index: DedupeIndex) -> None:
    index.check(seed())
    index.check(edited())
    for mapping in (index.state.uris, index.state.near):
        for key, value in mapping.items():
            assert isinstance(key, str) and isinstance(value, str)
            assert orjson.loads(orjson.dumps(value)) == value
    assert {len(k) for k in index.state.uris} == {11}
    # 11 packed + 4 owner tag + 4 submission tag; the copy carries its root's cluster id too
    assert {len(v) for v in index.state.uris.values()} == {19, 30}
    assert {len(k) for k in index.state.near} == {4}
    assert index.state.changelog_bytes() < 2 * 104


def restarted(state: DedupeState) -> DedupeState:
    """A state rebuilt from its changelog: every key/value through orjson, as a worker restart replays it."""

    def replay(mapping: dict[str, object]) -> dict[str, object]:
        log = [(orjson.dumps(k), orjson.dumps(v)) for k, v in mapping.items()]
        return {orjson.loads(k): orjson.loads(v) for k, v in log}

    return DedupeState(replay(dict(state.uris)), replay(dict(state.near)))


def test_state_survives_a_restart(index: DedupeIndex) -> None:
    index.check(seed())
    after = DedupeIndex(restarted(index.state))
    assert after.check(seed(at=T0 + timedelta(days=1))).info.verdict == "duplicate"
    assert after.check(edited(at=T0 + timedelta(days=1))).info.verdict == "near_duplicate"


def test_expiry_really_deletes_also_after_a_restart(index: DedupeIndex) -> None:
    index.check(seed())
    index.check(edited())
    index.check(make_story("urn:late", "X", OTHER.headline, list(OTHER.body), at=T0 + timedelta(days=6)))
    after = DedupeIndex(restarted(index.state))
    before = after.state.changelog_bytes()
    removed = after.evict_expired(T0 + timedelta(days=7, hours=1))
    assert removed == 2 + 2  # two uri entries and their bucket entries
    assert len(after.state.uris) == 1  # only the story from day 6 remains
    assert all(v.endswith("urn:late") for v in after.state.near.values())  # version 1: the bare uri
    assert after.state.changelog_bytes() < before
    assert after.evict_expired(T0 + timedelta(days=7, hours=1)) == 0
    # the evicted story is new again
    assert after.check(seed(at=T0 + timedelta(days=8))).info.verdict == "new"


def test_entries_older_than_the_window_are_ignored_before_eviction(index: DedupeIndex) -> None:
    index.check(seed())
    assert index.check(seed(at=T0 + timedelta(days=7, minutes=1))).info.verdict == "new"
    assert index.check(edited(at=T0 + timedelta(days=14, minutes=5))).info.verdict == "new"


def test_story_time_is_never_later_than_receipt(index: DedupeIndex) -> None:
    future = seed().model_copy(update={"versioncreated": T0 + timedelta(days=365)})
    index.check(future)
    assert index.evict_expired(T0 + timedelta(days=8)) > 0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=12))
def test_version_sequence_verdicts(versions: list[int]) -> None:
    index = DedupeIndex(DedupeState())
    newest = 0
    for n, v in enumerate(versions):
        d = index.check(seed(version=v, at=T0 + timedelta(minutes=n)))
        expected = "new" if newest == 0 else "stale" if v < newest else "duplicate" if v == newest else "update"
        assert d.info.verdict == expected
        assert d.forward == (expected in ("new", "update"))
        newest = max(newest, v)


@pytest.mark.parametrize("uri", ["urn:odd uri with spaces", "~tilde%20and%percent", "urn:x:~"])
def test_any_uri_string_round_trips_through_a_bucket(index: DedupeIndex, uri: str) -> None:
    index.check(seed(uri=uri))
    copy = index.check(edited())
    assert copy.info.verdict == "near_duplicate" and copy.info.duplicate_of == f"{uri}@1"
    assert index.check(seed(uri="urn:third", at=T0 + timedelta(minutes=9))).info.duplicate_of == f"{uri}@1"


def test_a_story_read_again_after_a_crash_is_told_from_a_resend() -> None:
    """The uri entry keeps a tag of the submission that wrote it: the same submission read again (a batch replayed
    after a crash, its outputs already out) is a replay; another submission of the same version is a resend."""
    uris: dict[str, str] = {}
    index = UriIndex(uris)
    story = seed()
    first = index.check(story)
    index.settle(story, first.cluster)
    again = index.check(story)
    assert again.verdict == "duplicate" and again.replay
    resend = index.check(story.model_copy(update={"submission_id": f"{story.submission_id}-again"}))
    assert resend.verdict == "duplicate" and not resend.replay
    # An entry written before submissions were kept (11 packed + 4 owner tag): a resend, as before.
    [(key, value)] = uris.items()
    uris[key] = value[:15] + value[19:]
    old_format = index.check(story)
    assert old_format.verdict == "duplicate" and not old_format.replay
    # A version sent again by its own submission is a replay too; a kill of it is not.
    update = story.model_copy(update={"version": 2, "submission_id": "v2"})
    assert index.check(update).verdict == "update"
    assert index.check(update).replay
    assert index.check(update.model_copy(update={"pubstatus": "canceled"})).verdict == "kill"
