"""The notify benchmark runs, and its routers agree (figures are not asserted: speed belongs to the benchmark)."""

from __future__ import annotations

import pytest

from benchmarks import bench_notify


@pytest.mark.slow
def test_quick_benchmark_rows_agree_between_routers() -> None:
    rows = bench_notify.run(quick=True)
    assert {r["subscriptions"] for r in rows} == {100, 1000}
    for n in (100, 1000):
        mine = [r for r in rows if r["subscriptions"] == n]
        assert {r["router"] for r in mine} == {"loop", "scan", "indexed"}
        assert len({r["results_per_story"] for r in mine}) == 1
        assert all(r["stories_per_s"] > 0 for r in mine)
        indexed = next(r for r in mine if r["router"] == "indexed")
        assert indexed["candidates_per_story"] < n
