"""The near part's buckets as one changelog record per entry (pure).

A bucket's value is every entry of the bucket joined (``DedupeState``): up to ``bucket_cap`` entries of ~70
characters. Sending the whole value again on every append costs kilobytes per story on a changelog, so the shell
sends only what changed: one record per entry added, changed (relinked) or dropped, keyed
``"<bucket key>|<entry id>"``, its value the entry or ``None`` (a tombstone). :func:`fold` rebuilds the bucket
values from such records, as a table recovering from its changelog must.

An entry's id is a hash of its ``uri@version``: a bucket holds at most one entry per ref (``NearIndex.probe``
replaces an entry of the same ref), and a relink keeps the ref, so the id is stable across changes of the entry.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable
from hashlib import blake2b

from pipeline.stages.dedupe.index import _SEP, _entries, _entry_ref

#: Between the bucket key and the entry id in a record key (bucket keys are base64: no "|" inside).
ID_SEP = "|"
_ID_BYTES = 6  # 48 bits: two refs of one bucket (at most bucket_cap entries) share an id with odds ~1e-11


def entry_id(entry: str) -> str:
    """8-character id of a bucket entry (base64 of a hash of its ``uri@version``)."""
    digest = blake2b(_entry_ref(entry).encode("utf-8"), digest_size=_ID_BYTES, person=b"wirefeed-entry").digest()
    return binascii.b2a_base64(digest, newline=False).decode("ascii")


def entry_changes(old: str | None, new: str | None) -> list[tuple[str, str | None]]:
    """(entry id, entry or None) for every entry that differs between two values of one bucket.

    Only the entries that differ are hashed: an append to a full bucket hashes the new entry and the dropped one."""
    before, after = _entries(old), _entries(new)
    if before == after:
        return []
    kept_before, kept_after = set(before), set(after)
    changes: dict[str, str | None] = {entry_id(e): None for e in before if e not in kept_after}
    changes.update((entry_id(e), e) for e in after if e not in kept_before)  # a relinked entry: its new text
    return list(changes.items())


def record_key(key: str, eid: str) -> str:
    return f"{key}{ID_SEP}{eid}"


def split_record_key(record: str) -> tuple[str, str]:
    """(bucket key, entry id) of a record key."""
    key, _, eid = record.rpartition(ID_SEP)
    return key, eid


def fold(value: str | None, changes: Iterable[tuple[str, str | None]]) -> str | None:
    """The bucket ``value`` with per-entry records applied in order: a new id goes at the end, a known id changes
    in place, ``None`` removes it. Returns None when no entry is left."""
    entries = {entry_id(e): e for e in _entries(value)}
    for eid, entry in changes:
        if entry is None:
            entries.pop(eid, None)
        else:
            entries[eid] = entry
    return _SEP.join(entries.values()) or None
