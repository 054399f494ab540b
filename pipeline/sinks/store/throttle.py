"""A store whose story writes take N times as long: ``slow<N>+<url>`` (e.g. ``slow10+sqlite:///var/s.sqlite3``).

For fault tests of back-pressure: the worker runs unchanged against a real database that is made slow in one
place. Every other call goes straight to the inner store.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from typing import Any

from pipeline.sinks.store.interface import Store
from pipeline.sinks.store.query import WriteResult
from schemas import EnrichedStory

URL = re.compile(r"^slow(?P<factor>\d+(?:\.\d+)?)\+(?P<inner>.+)$")


def parse(url: str) -> tuple[float, str] | None:
    """``slow<N>+<inner url>`` → (N, inner url); None for any other URL."""
    m = URL.match(url)
    return (float(m["factor"]), m["inner"]) if m else None


class ThrottledStore:
    def __init__(self, inner: Store, factor: float) -> None:
        if factor < 1:
            raise ValueError("a throttled store is at least as slow as its inner store (factor >= 1)")
        self.inner = inner
        self.factor = factor

    async def write_batch(self, stories: Sequence[EnrichedStory]) -> WriteResult:
        started = time.perf_counter()
        result = await self.inner.write_batch(stories)
        await asyncio.sleep((self.factor - 1) * (time.perf_counter() - started))
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
