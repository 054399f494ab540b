"""Idempotency keys: deterministic submission ids and a bounded memory of acknowledged submissions (pure).

Guarantee (see docs/ingest.md): a submission carrying ``Idempotency-Key: K`` from agency A always gets the
submission id ``derive_submission_id(A, K)``. The gateway remembers every acknowledged (A, K) for
``ttl`` seconds (at most ``max_entries``); a retry inside that memory is answered from it without a second write.
A retry the memory cannot answer (another gateway process, a restart, or a write whose acknowledgement was lost)
may write again, but with the same submission id — the ``wire.raw`` message key — so consumers drop it by id.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass

MAX_KEY_LENGTH = 200
_KEY_RE = re.compile(r"[\x21-\x7e]{1,200}")
ID_PREFIX = "idk-"


def valid_idempotency_key(key: str) -> bool:
    """Visible ASCII only, 1–200 characters (UUIDs, ULIDs and the like)."""
    return _KEY_RE.fullmatch(key) is not None


def derive_submission_id(agency: str, key: str) -> str:
    digest = hashlib.sha256(f"{agency}\x00{key}".encode()).hexdigest()
    return f"{ID_PREFIX}{digest[:32]}"


def fingerprint(content_type: str | None, payload: bytes) -> str:
    """What a retry must repeat exactly: the content type and the bytes."""
    h = hashlib.sha256((content_type or "").encode("utf-8"))
    h.update(b"\x00")
    h.update(payload)
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class Remembered:
    submission_id: str
    fingerprint: str
    expires: float


class IdempotencyMemory:
    """Acknowledged (agency, key) pairs, oldest evicted first, each forgotten after ``ttl`` seconds."""

    def __init__(self, ttl: float = 24 * 3600.0, max_entries: int = 200_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], Remembered] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, agency: str, key: str, now: float) -> Remembered | None:
        entry = self._entries.get((agency, key))
        if entry is None:
            return None
        if entry.expires <= now:
            del self._entries[(agency, key)]
            return None
        return entry

    def remember(self, agency: str, key: str, submission_id: str, fp: str, now: float) -> None:
        self._entries[(agency, key)] = Remembered(submission_id, fp, now + self.ttl)
        self._entries.move_to_end((agency, key))
        self._evict(now)

    def _evict(self, now: float) -> None:
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        # Insertion order equals expiry order (constant ttl): drop expired ones from the front.
        while self._entries:
            first = next(iter(self._entries.values()))
            if first.expires > now:
                break
            self._entries.popitem(last=False)
