"""The producer's partitioner sends every key where aiokafka's default partitioner (the Java client's murmur2) does."""

from __future__ import annotations

import random

from aiokafka.partitioner import DefaultPartitioner

from pipeline.app.producer import KeyHashPartitioner


def test_same_partition_as_the_default_for_every_key_and_count() -> None:
    rng = random.Random(7)
    keys = [f"urn:newsml:agency{i % 7}.example:2024:{rng.getrandbits(40):x}".encode() for i in range(300)]
    keys += [b"", b"a", b"ab", b"abc", "ünïcode-uri".encode(), bytes(range(256))]
    ours, default = KeyHashPartitioner(size=50), DefaultPartitioner()
    for count in (1, 3, 4, 16, 40):
        partitions = list(range(count))
        for key in keys + keys[::-1]:  # each key again after others: remembered, or forgotten when the memo filled
            assert ours(key, partitions, partitions) == default(key, partitions, partitions)
    assert 0 < len(ours.hashes) <= 50


def test_a_remembered_hash_follows_a_change_of_partition_count() -> None:
    ours, default = KeyHashPartitioner(), DefaultPartitioner()
    key = b"urn:tca:story-1"
    for count in (4, 8, 4, 12):
        partitions = list(range(count))
        assert ours(key, partitions, partitions) == default(key, partitions, partitions)


def test_no_key_goes_to_an_available_partition() -> None:
    ours = KeyHashPartitioner()
    assert {ours(None, [0, 1, 2, 3], [2]) for _ in range(20)} == {2}
