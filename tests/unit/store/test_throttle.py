"""The throttled store used by the back-pressure scenario: writes go to the real store, only slower."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.sinks.store import open_store
from pipeline.stages.dedupe import DedupeIndex, DedupeState
from pipeline.stages.normalise import NormaliseOptions
from pipeline.stages.process import process
from schemas import utcnow
from tests.faults.common import corpus_submissions
from tests.support.throttle import ThrottledStore, open_throttled


async def test_writes_reach_the_inner_store(tmp_path: Path) -> None:
    index = DedupeIndex(DedupeState())
    stories = [s for raw in corpus_submissions(5, seed=9)
               for s in process(raw, index, NormaliseOptions(), utcnow()).enriched]  # fmt: skip
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    store = await open_throttled(url, 3)
    try:
        assert isinstance(store, ThrottledStore) and store.factor == 3.0
        await store.write_batch(stories)
        assert await store.count_stories() == 5
    finally:
        await store.close()
    plain = await open_store(url)
    try:
        assert await plain.count_stories() == 5
    finally:
        await plain.close()
    with pytest.raises(ValueError):
        ThrottledStore(plain, 0.5)
