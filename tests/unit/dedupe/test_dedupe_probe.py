"""``NearIndex.probe`` (flat unpack of a bucket's heads) against a one-entry-at-a-time reference."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stages.dedupe.index import (
    _E_CHARS,
    _SEP,
    Candidate,
    DedupeConfig,
    NearIndex,
    NearProbe,
    _entry_ref,
    _escape,
    _pack_entry,
    _unpack_entry,
    _uri_of,
    cluster_name,
    uri_id,
)

CONFIG = DedupeConfig(bucket_cap=8)
WINDOW = CONFIG.window_seconds


def reference_probe(near: dict[str, str], key: str, probe: NearProbe) -> list[Candidate]:
    value = near.get(key)
    entries = value.split(_SEP) if value else []
    oldest = probe.second - WINDOW
    found = []
    fresh = []
    for e in entries:
        simhash, second, seen, cluster, tag, ref = _unpack_entry(e)
        if second < oldest:
            continue
        fresh.append(e)
        d = (simhash ^ probe.simhash).bit_count()
        if not probe.index_only and d <= CONFIG.near_threshold and _uri_of(ref) != _uri_of(probe.ref):
            found.append(Candidate(d, second, seen, ref, cluster, d == 0 and tag == probe.ch_tag))
    if key in probe.store:
        fresh = [e for e in fresh if not e.endswith(_escape(probe.ref)) or _entry_ref(e) != probe.ref]
        fresh.append(_pack_entry(probe.simhash, probe.second, probe.ch_tag, probe.seen, probe.cluster, probe.ref))
        fresh = fresh[-CONFIG.bucket_cap :]
    if fresh:
        near[key] = _SEP.join(fresh)
    else:
        near.pop(key, None)
    return found


def _probe(rng: random.Random, base: int, i: int) -> NearProbe:
    ref = f"urn:t:{rng.randrange(6)}@{rng.randrange(1, 3)}"
    cluster = cluster_name(uri_id(_uri_of(ref))) if rng.random() < 0.7 else cluster_name(uri_id(f"c{i}"))
    simhash = base
    for _ in range(rng.randrange(0, 20)):
        simhash ^= 1 << rng.randrange(64)
    return NearProbe(
        ref, cluster, simhash, 10_000_000 + rng.randrange(0, 2 * WINDOW), rng.randrange(1 << 48),
        f"{rng.randrange(4):06x}",
        ("k",) if rng.random() < 0.6 else (), ("k",), rng.random() < 0.2,
    )  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_probe_equals_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    base = rng.getrandbits(64)
    fast: dict[str, str] = {}
    slow: dict[str, str] = {}
    index = NearIndex(fast, CONFIG)
    for i in range(30):
        probe = _probe(rng, base, i)
        assert index.probe("k", probe) == reference_probe(slow, "k", probe)
        assert fast == slow


def test_expired_entries_are_dropped_even_by_a_probe_that_only_looks() -> None:
    near: dict[str, str] = {}
    index = NearIndex(near, CONFIG)
    old = NearProbe("urn:a@1", cluster_name(uri_id("urn:a")), 1, 100, 100 << 16, "000000", ("k",), ("k",))
    index.probe("k", old)
    assert len(near["k"]) > _E_CHARS
    late = NearProbe("urn:b@1", cluster_name(uri_id("urn:b")), 1, 100 + WINDOW + 1, 7, "000000", (), ("k",))
    assert index.probe("k", late) == []
    assert "k" not in near


def test_parsed_bucket_cache_is_bounded_and_only_a_cache() -> None:
    from pipeline.stages.dedupe.index import _PARSED, _PARSED_BUCKETS

    near: dict[str, str] = {}
    index = NearIndex(near, CONFIG)
    rng = random.Random(3)
    for i in range(_PARSED_BUCKETS + 40):
        key = f"k{i}"
        probe = NearProbe(f"urn:s:{i}@1", cluster_name(uri_id(f"urn:s:{i}")), rng.getrandbits(64), 1000, i, "000000",
                          (key,), (key,))  # fmt: skip
        index.probe(key, probe)
        look = NearProbe("urn:q@1", cluster_name(uri_id("urn:q")), probe.simhash, 1000, 0, "000000", (), (key,))
        index.probe(key, look)
    assert len(_PARSED) <= _PARSED_BUCKETS
    late = NearProbe("urn:z@1", cluster_name(uri_id("urn:z")), 0, 1000, 0, "000000", (), ("k0",))
    before = index.probe("k0", late)
    index.clear_cache()
    assert index.probe("k0", late) == before


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(min_size=8, max_size=8), max_size=12))
def test_bucket_keys_in_one_encoding_equal_one_by_one(hashes: list[bytes]) -> None:
    from pipeline.stages.dedupe.index import _KEY_BYTES, _KEY_FROM, _b64, _bucket_keys

    assert _bucket_keys(hashes) == [_b64(h[_KEY_FROM : _KEY_FROM + _KEY_BYTES]) for h in hashes]


def test_messages_written_before_seen_existed_still_decode() -> None:
    """Probes and answers in flight (or waiting in dedupe-pending) across an upgrade from state format 1 carry no
    "seen": they decode, ordered before every story stamped since."""
    probe = NearProbe("urn:a@1", cluster_name(uri_id("urn:a")), 5, 100, 99 << 16, "00aa11", ("k",), ("k", "j"))
    old = probe.to_wire()
    del old["seen"]
    assert NearProbe.from_wire(old) == NearProbe(**{**probe.__dict__, "seen": 0})
    found = Candidate(3, 100, 99 << 16, "urn:b@2", cluster_name(uri_id("urn:b")), False)
    wire = found.to_wire()
    assert Candidate.from_wire(wire) == found
    assert Candidate.from_wire([wire[0], wire[1], *wire[3:]]) == Candidate(3, 100, 0, "urn:b@2", found.cluster, False)
