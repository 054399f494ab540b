"""Gathering bucket answers gives the same decisions as the one-process index, whatever the answer order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from pipeline.ingest.publisher import make_submission
from pipeline.stages.dedupe import DedupeIndex, DedupeState, NearIndex, UriIndex, decide_uri
from pipeline.stages.dedupe.gather import conclude, decide, probe_of, waiting_entry, with_answer
from pipeline.stages.normalise import normalise
from tests.paths import SEED

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TEXT = SEED.read_text(encoding="utf-8")


def story(uri: str, headline: str, text: str, at: datetime):  # type: ignore[no-untyped-def]
    doc = {"uri": uri, "headlines": [{"role": "main", "value": headline}],
           "bodies": [{"role": "main", "contentType": "text/plain", "value": text}],
           "versionCreated": at.isoformat().replace("+00:00", "Z")}
    return normalise(make_submission(orjson.dumps(doc), "TCA", format_hint="ninjs", received_at=at))


def stories():  # type: ignore[no-untyped-def]
    body = TEXT.split("BISHKEK (TCA) —", 1)[1].split("\nSergey Kwan", 1)[0].strip()
    edited = body.replace("every effort", "every possible effort")
    return [
        story("urn:a", TEXT.splitlines()[0], body, T0),
        story("urn:b", "Kyrgyz leader pledges closer ties", edited, T0 + timedelta(seconds=20)),
        story("urn:c", TEXT.splitlines()[0], body, T0 + timedelta(seconds=40)),
        story("urn:d", "Unrelated", "Officials in Nairobi opened a new rail terminal on Monday. " * 8,
              T0 + timedelta(seconds=60)),
    ]


def split_decide(items, seed: int):  # type: ignore[no-untyped-def]
    uris, near, rng = UriIndex({}), NearIndex({}), random.Random(seed)
    out = []
    for s in items:
        outcome = uris.check(s)
        if not outcome.wait_for_near:
            out.append(decide_uri(s, outcome).info)
            continue
        entry = waiting_entry(s.model_dump_json(), outcome)
        probe = probe_of(entry)
        keys = list(probe.keys)
        rng.shuffle(keys)  # answers arrive in any order
        complete = False
        for key in keys:
            found = [c.to_wire() for c in near.probe(key, probe)]
            entry, complete = with_answer(orjson.loads(orjson.dumps(entry)), key, found)
        assert complete
        gathered = decide(entry, s)
        for key in gathered.relink:
            near.relink(key, probe.ref, gathered.decision.info.cluster_id)
        uris.settle(s, gathered.decision.info.cluster_id)
        out.append(gathered.decision.info)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gathered_decisions_equal_the_one_process_index(seed: int) -> None:
    items = stories()
    index = DedupeIndex(DedupeState())
    expected = [index.check(s).info for s in items]
    assert [i.verdict for i in expected] == ["new", "near_duplicate", "duplicate", "new"]
    assert split_decide(items, seed) == expected


def test_concluding_from_every_answer_at_once_equals_gathering_them() -> None:
    """A story whose buckets all answered in one step is decided from its candidates directly (no waiting entry):
    the same decision, relinks and cluster as gathering the answers through the waiting entry."""
    uris, near = UriIndex({}), NearIndex({})
    gathered_infos, concluded_infos = [], []
    for s in stories():
        outcome = uris.check(s)
        assert outcome.wait_for_near and outcome.near is not None
        answers = [(key, near.probe(key, outcome.near)) for key in outcome.near.keys]
        entry = waiting_entry(s.model_dump_json(), outcome)
        for key, found in answers:
            entry, _ = with_answer(entry, key, [c.to_wire() for c in found])
        gathered = decide(entry, s)
        concluded = conclude(outcome, [c for _, found in answers for c in found], s)
        assert concluded == gathered
        gathered_infos.append(gathered.decision.info)
        concluded_infos.append(concluded.decision.info)
        for key in concluded.relink:
            near.relink(key, outcome.near.ref, concluded.decision.info.cluster_id)
        uris.settle(s, concluded.decision.info.cluster_id)
    assert [i.verdict for i in concluded_infos] == ["new", "near_duplicate", "duplicate", "new"]
    assert concluded_infos[1].cluster_id == concluded_infos[0].cluster_id  # the copies joined the first story


def test_only_a_new_uri_waits() -> None:
    uris = UriIndex({})
    a = stories()[0]
    first = uris.check(a)
    uris.settle(a, first.cluster)
    resend = uris.check(a)
    with pytest.raises(ValueError):
        waiting_entry(a.model_dump_json(), resend)


def test_a_uri_seen_but_never_settled_is_judged_again_as_new() -> None:
    """A crash between the state write and the story's outputs: the replay must not meet its own state."""
    state: dict[str, str] = {}
    a = stories()[0]
    first = UriIndex(state).check(a)
    assert first.wait_for_near
    replay = UriIndex(state).check(a)  # the pending entry and the outputs were lost; the uri entry survived
    assert replay.wait_for_near and replay.near == first.near and replay.cluster == first.cluster
    UriIndex(state).settle(a, replay.cluster)
    resend = UriIndex(state).check(a)
    assert resend.verdict == "duplicate" and resend.duplicate_of == f"{a.uri}@{a.version}"


def test_settled_entries_keep_the_format_of_before() -> None:
    """Entries written before the undecided flag existed read as settled: a resend is still a duplicate."""
    state: dict[str, str] = {}
    a = stories()[0]
    outcome = UriIndex(state).check(a)
    UriIndex(state).settle(a, outcome.cluster)
    settled = dict(state)
    assert UriIndex(settled).check(a).verdict == "duplicate"
    update = a.model_copy(update={"version": a.version + 1})
    assert UriIndex(dict(settled)).check(update).verdict == "update"
