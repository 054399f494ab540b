"""The split design as the Faust shell wires it: uri-keyed and bucket-keyed state on different partitions.

Messages between the parts go through orjson, state lives in one dict per partition, and two workers own
half of the partitions each. The verdicts must equal those of the one-process ``DedupeIndex``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from hashlib import blake2b

import orjson
import pytest

from benchmarks.eval_dedupe import T0, bases, make_story, stream
from pipeline.stages.dedupe import (
    Candidate,
    Decision,
    DedupeConfig,
    DedupeIndex,
    DedupeState,
    NearIndex,
    NearProbe,
    UriIndex,
    UriOutcome,
    combine,
    next_seen,
    relinks,
)
from schemas import Story

PARTITIONS = 4


def partition(key: str) -> int:
    return int.from_bytes(blake2b(key.encode(), digest_size=4).digest(), "big") % PARTITIONS


@dataclass
class Worker:
    """Owns some partitions; one uri table and one near table per partition, as Faust tables would be."""

    owned: set[int]
    uris: dict[int, dict[str, object]] = field(default_factory=dict)
    near: dict[int, dict[str, object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for p in self.owned:
            self.uris[p], self.near[p] = {}, {}


class Cluster:
    def __init__(self, config: DedupeConfig = DedupeConfig()) -> None:
        self.config = config
        self.workers = [Worker({0, 2}), Worker({1, 3})]
        self.pending: dict[str, tuple[Story, UriOutcome]] = {}
        self.last_seen = 0  # as the dedupe agent keeps it: stories ordered as the uri stage handled them

    def _owner(self, p: int) -> Worker:
        return next(w for w in self.workers if p in w.owned)

    def uri_stage(self, story: Story) -> tuple[Story, UriOutcome, list[tuple[str, bytes]]]:
        p = partition(story.uri)
        self.last_seen = next_seen(self.last_seen, story.received_at)
        outcome = UriIndex(self._owner(p).uris[p], self.config).check(story, self.last_seen)
        sends = []
        if outcome.near is not None:
            wire = orjson.dumps(outcome.near.to_wire())
            sends = [(key, wire) for key in outcome.near.keys]
        return story, outcome, sends

    def near_stage(self, key: str, wire: bytes) -> bytes:
        p = partition(key)
        probe = NearProbe.from_wire(orjson.loads(wire))
        found = NearIndex(self._owner(p).near[p], self.config).probe(key, probe)
        return orjson.dumps([c.to_wire() for c in found])

    def finish(self, story: Story, outcome: UriOutcome, answers: list[bytes]) -> Decision:
        candidates = [Candidate.from_wire(c) for a in answers for c in orjson.loads(a)]
        decision = combine(story, outcome, candidates, self.config)
        for key in relinks(outcome, decision):
            p = partition(key)
            NearIndex(self._owner(p).near[p], self.config).relink(key, outcome.near.ref, decision.info.cluster_id)  # type: ignore[union-attr]
        if outcome.wait_for_near:
            p = partition(story.uri)
            UriIndex(self._owner(p).uris[p], self.config).settle(story, decision.info.cluster_id)
        return decision

    def one(self, story: Story) -> Decision:
        story, outcome, sends = self.uri_stage(story)
        return self.finish(story, outcome, [self.near_stage(k, w) for k, w in sends])


def test_split_parts_on_four_partitions_match_the_one_process_index() -> None:
    items = stream(variants=1)
    local = DedupeIndex(DedupeState())
    cluster = Cluster()
    for story, _ in items:
        a, b = local.check(story), cluster.one(story)
        assert a.info == b.info, story.uri
        assert a.forward == b.forward
    used = {p for w in cluster.workers for p, m in w.near.items() if m}
    assert used == set(range(PARTITIONS))  # buckets really are spread over every partition


def test_copies_are_found_across_partitions() -> None:
    items = stream(variants=1)
    cluster = Cluster()
    found_elsewhere = copies = missed = 0
    for story, expected in items:
        d = cluster.one(story)
        if expected != "new":
            copies += 1
            base_uri = story.uri.rsplit(":", 2)[0]
            hit = d.info.verdict in ("near_duplicate", "duplicate")
            missed += not hit
            found_elsewhere += hit and partition(base_uri) != partition(story.uri)
    assert missed <= 0.05 * copies  # the recall figure of docs/dedupe.md, on one partition or four
    assert found_elsewhere > copies // 2  # most copies were found from another uri partition than their original


ORIGINAL = "urn:zz:original"  # sorts after every copy's uri below


def _copies(original_at: datetime, copy_at: datetime) -> tuple[Story, Story, Story]:
    base = bases()[0]
    edited_body = [base.body[0].replace("inauguration", "inaugration"), *base.body[1:-1]]
    return (
        make_story(ORIGINAL, "TCA", base.headline, list(base.body), at=original_at),
        make_story("urn:aa:exact-copy", "RFE", base.headline, list(base.body), at=copy_at),
        make_story("urn:ab:edited-copy", "AKI", "Kyrgyz leader vows closer Russia ties", edited_body, at=copy_at),
    )


@pytest.mark.parametrize(
    ("case", "copy_at"),
    [
        ("same second, smaller uri", T0),
        ("earlier story time (a syndicated copy keeps an older timestamp)", T0 - timedelta(minutes=5)),
    ],
)
def test_a_copy_handled_after_its_original_links_to_it(case: str, copy_at: datetime) -> None:
    """The original's verdict is out before the copies arrive; whatever their story time or uri, they must link
    to it (the order is the one in which dedupe handled them), on one process and across partitions."""
    original, exact, near = _copies(T0, copy_at)
    root = f"{ORIGINAL}@1"
    for edit_first in (True, False):
        for check in (DedupeIndex(DedupeState()).check, Cluster().one):
            first = check(original)
            assert first.info.verdict == "new", case
            if edit_first:
                edit, dup = check(near), check(exact)
            else:  # the exact copy (its uri sorts first) comes between: the edit still links to the original
                dup, edit = check(exact), check(near)
            assert (edit.info.verdict, edit.info.duplicate_of) == ("near_duplicate", root), (case, edit_first)
            assert (dup.info.verdict, dup.info.duplicate_of) == ("duplicate", root), (case, edit_first)
            assert dup.info.cluster_id == edit.info.cluster_id == first.info.cluster_id


def test_racing_copies_never_link_to_each_other() -> None:
    """Copies whose probes interleave at random: each pair ends with at most one link, never a cycle."""
    items = [s for s, _ in stream(variants=1)]
    rng = random.Random(7)
    for trial in range(5):
        cluster = Cluster()
        batch = [cluster.uri_stage(s) for s in items]
        messages = [(i, key, wire) for i, (_, _, sends) in enumerate(batch) for key, wire in sends]
        rng.shuffle(messages)
        answers: dict[int, list[bytes]] = {i: [] for i in range(len(batch))}
        for i, key, wire in messages:
            answers[i].append(cluster.near_stage(key, wire))
        decisions = {s.uri: cluster.finish(s, o, answers[i]) for i, (s, o, _) in enumerate(batch)}
        links = {uri: d.info.duplicate_of.rpartition("@")[0] for uri, d in decisions.items() if d.info.duplicate_of}
        for uri, target in links.items():
            assert links.get(target) != uri, (trial, uri, target)
        # Race window (docs/dedupe.md): a copy whose probe reaches a shared bucket before the earlier story is
        # stored there, while that earlier story ignores the later one, stays unlinked. With all 200 stories
        # in flight at once it costs a few links; arriving one after the other (tests above) it never happens.
        linked = set(links) | set(links.values())
        assert len(linked) >= 0.85 * len(items)
