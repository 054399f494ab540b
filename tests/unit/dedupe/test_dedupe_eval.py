"""Quality gate on the labelled evaluation set (docs/dedupe.md): the targets of the dedupe issue."""

from __future__ import annotations

from benchmarks.eval_dedupe import evaluate_pairs, evaluate_stream, summary
from pipeline.stages.dedupe import DedupeConfig


def test_precision_recall_and_no_same_topic_merges() -> None:
    rows = evaluate_pairs(DedupeConfig(), variants=2)
    s = summary(rows)
    assert s["precision"] >= 0.99
    assert s["recall"] >= 0.95
    assert s["same_topic_merges"] == 0 and s["false_merges"] == 0
    exact = next(r for r in rows if r["kind"] == "exact_copy")
    assert exact["merged"] == exact["pairs"]


def test_shared_index_keeps_bases_apart_and_finds_copies() -> None:
    result = evaluate_stream(DedupeConfig(), variants=1)
    assert not [m for m in result["missed"] if m.endswith(": near_duplicate") or m.endswith(": duplicate")]
    assert len(result["missed"]) <= 0.05 * result["stories"]
