"""NearRouting: a bucket is answered in-process only when this worker holds its partition of wire.dedupe.near."""

from __future__ import annotations

from pipeline.app.near_local import NearRouting


def by_first_byte(key: bytes) -> int:
    return key[0] % 4


def test_keys_of_owned_partitions_are_local() -> None:
    routing = NearRouting(by_first_byte)
    assert routing.refresh([0, 2])
    assert routing.local(b"\x00a") == 0
    assert routing.local(b"\x02b") == 2
    assert routing.local(b"\x01c") is None  # another worker's partition: send the probe
    assert routing.local(b"\x03d") is None


def test_nothing_is_local_without_partitions_or_when_disabled() -> None:
    routing = NearRouting(by_first_byte)
    assert not routing.refresh([])
    assert routing.local(b"\x00a") is None
    off = NearRouting(by_first_byte, enabled=False)
    assert not off.refresh([0, 1, 2, 3])
    assert off.local(b"\x00a") is None


def test_the_assignment_is_taken_per_refresh() -> None:
    routing = NearRouting(by_first_byte)
    routing.refresh([0, 1, 2, 3])
    assert routing.local(b"\x01c") == 1
    routing.refresh([0])  # partition 1 moved to another worker in a rebalance
    assert routing.local(b"\x01c") is None


def test_an_unknown_partition_goes_through_the_topic() -> None:
    def no_metadata(key: bytes) -> int | None:
        raise TypeError("'NoneType' object is not iterable")  # aiokafka without metadata for the topic

    routing = NearRouting(no_metadata)
    routing.refresh([0, 1])
    assert routing.local(b"k") is None
    unknown = NearRouting(lambda key: None)
    unknown.refresh([0, 1])
    assert unknown.local(b"k") is None
