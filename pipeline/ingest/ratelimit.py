"""Per-agency token-bucket rate limit (pure: the caller passes the clock)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    #: Seconds until the request would be allowed (0 when allowed).
    retry_after: float


class RateLimiter:
    """``rate`` tokens per second refill each agency's bucket, up to ``burst``; a story costs one token.

    A request for ``cost`` tokens either takes them all or none, so a batch is accepted or refused whole.
    """

    def __init__(self, rate: float, burst: int) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = float(burst)
        self._buckets: dict[str, _Bucket] = {}

    def check(self, agency: str, now: float, cost: int = 1) -> Decision:
        bucket = self._buckets.get(agency)
        if bucket is None:
            bucket = self._buckets[agency] = _Bucket(tokens=self.burst, updated=now)
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
        bucket.updated = now
        if cost <= bucket.tokens:
            bucket.tokens -= cost
            return Decision(True, 0.0)
        if cost > self.burst:
            # Can never fit: tell the caller to split the request rather than wait forever.
            return Decision(False, math.inf)
        return Decision(False, (cost - bucket.tokens) / self.rate)
