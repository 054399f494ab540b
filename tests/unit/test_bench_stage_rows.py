"""The benchmark harness prints and records a table for a stage benchmark that returns tables by name
(``python -m benchmarks``; normalise returns its sample and corpus rows)."""

from __future__ import annotations

import pytest

import benchmarks.__main__ as harness


@pytest.mark.slow
def test_the_normalise_benchmark_gives_rows_in_quick_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness, "STAGES", ("normalise",))
    out = harness.stage_rows(quick=True)
    assert "error" not in out["normalise"], out["normalise"]
    cases = [row["case"] for row in out["normalise"]["rows"]]
    assert cases and cases[0].startswith("seed"), cases
