"""The near table's changelog as one record per bucket entry: replaying the records rebuilds every bucket."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stages.dedupe import DedupeConfig, NearIndex, NearProbe
from pipeline.stages.dedupe.entrylog import entry_changes, entry_id, fold, record_key, split_record_key
from pipeline.stages.dedupe.index import EPOCH, uri_id
from pipeline.stages.dedupe.index import cluster_name as b64_id

KEYS = ["AAAA", "AAAB", "AAAC"]
REFS = [f"urn:test:{i}@{v}" for i in range(12) for v in (1, 2)] + ["urn:odd uri~with@signs@1"]


def probe(ref: str, key: str, second: int, seen: int, simhash: int) -> NearProbe:
    cluster = b64_id(uri_id(ref.rpartition("@")[0]))
    return NearProbe(ref, cluster, simhash, second, seen, "a1b2c3", (key,), (key,))


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("probe"), st.sampled_from(REFS), st.sampled_from(KEYS), st.integers(0, 20 * 86_400),
                  st.integers(0, 2**64 - 1)),
        st.tuples(st.just("relink"), st.sampled_from(REFS), st.sampled_from(KEYS), st.sampled_from(REFS)),
        st.tuples(st.just("evict"), st.integers(0, 30 * 86_400)),
    ),
    max_size=60,
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(OPS, st.integers(1, 6))
def test_records_replayed_rebuild_every_bucket(ops: list[tuple[object, ...]], cap: int) -> None:
    near: dict[str, str] = {}
    index = NearIndex(near, DedupeConfig(bucket_cap=cap))
    log: list[tuple[str, str | None]] = []
    for seen, op in enumerate(ops):
        before = dict(near)
        if op[0] == "probe":
            _, ref, key, second, simhash = op
            index.probe(str(key), probe(str(ref), str(key), int(second), seen, int(simhash)))  # type: ignore[call-overload]
        elif op[0] == "relink":
            _, ref, key, other = op
            index.relink(str(key), str(ref), b64_id(uri_id(str(other))))
        else:
            index.evict_expired(EPOCH + timedelta(seconds=int(op[1])))  # type: ignore[call-overload]
        for key in set(before) | set(near):
            log.extend((record_key(key, eid), e) for eid, e in entry_changes(before.get(key), near.get(key)))
    rebuilt: dict[str, str] = {}
    for record, entry in log:  # one record at a time, as a compacted or uncompacted changelog gives them
        key, eid = split_record_key(record)
        value = fold(rebuilt.get(key), [(eid, entry)])
        if value is None:
            rebuilt.pop(key, None)
        else:
            rebuilt[key] = value
    assert {k: sorted(v.split(" ")) for k, v in rebuilt.items()} == {k: sorted(v.split(" ")) for k, v in near.items()}


def test_an_append_to_a_full_bucket_is_two_records() -> None:
    old = " ".join(f"k0DKoz219BIH1bgQeXsUB9XiQABBurn:tca:{i}" for i in range(4))
    new = old.split(" ", 1)[1] + " k0DKoz219BIH1bgQeXsUB9XiQABBurn:tca:9"
    changes = entry_changes(old, new)
    assert changes == [(entry_id(old.split(" ")[0]), None), (entry_id(new.split(" ")[-1]), new.split(" ")[-1])]
    assert fold(old, changes) == new
    assert entry_changes(new, new) == [] and fold(None, []) is None
