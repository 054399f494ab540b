"""A store whose story writes take N times as long, for the back-pressure fault test.

The worker runs unchanged against a real database that is made slow in one place; every other call goes straight
to the inner store. Production code knows nothing of it: the fault test starts its workers through
:mod:`tests.support.slow_sink_worker`, which opens stores through :func:`open_throttled`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from pipeline.sinks.store import Store, open_store
from pipeline.sinks.store.query import WriteResult
from schemas import EnrichedStory


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


async def open_throttled(url: str, factor: float) -> Store:
    """``open_store(url)`` with story writes slowed ``factor`` times."""
    return ThrottledStore(await open_store(url), factor)  # type: ignore[return-value]
