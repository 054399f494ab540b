"""Speed work on normalise changes no output: the seed, each IPTC sample and each corpus document give what the
record says (``benchmarks.bench_normalise_outputs``; rewrite it with ``--write`` after an intended fix)."""

from __future__ import annotations

from benchmarks import bench_normalise_outputs as outputs

RECORD = outputs.recorded()


def _changed(now: dict[str, str]) -> list[str]:
    return sorted(k for k in now if RECORD.get(k) != now[k])


def test_record_covers_the_samples_and_the_corpus_manifest() -> None:
    from benchmarks import eval_formats as ev

    keys = {k for k, _ in outputs.sample_submissions()}
    keys |= {f"corpus:{d['id']}" for d in ev.load_manifest()["documents"]}
    assert set(RECORD) == keys, "record out of date: python -m benchmarks.bench_normalise_outputs --write"


def test_samples_normalise_as_recorded() -> None:
    now = {key: outputs.output_digest(raw) for key, raw in outputs.sample_submissions()}
    assert len(now) >= 8
    assert _changed(now) == [], "outputs changed (a fix? then --write the record and say why)"


def test_corpus_normalises_as_recorded() -> None:
    docs, options, absent = outputs.corpus_submissions()
    assert absent is None, absent
    now = {key: outputs.output_digest(raw, options) for key, raw in docs}
    assert len(now) == len(RECORD) - sum(k.startswith("sample:") for k in RECORD)
    assert _changed(now) == [], "outputs changed (a fix? then --write the record and say why)"
