"""The real-copy corpus: every agency document normalises to what a reader of it expects, except the listed gaps.

The documents are committed in ``tests/data/third_party/agency-copy/`` (``$WIREFEED_CORPORA/agency-copy/`` is looked at
first when set); a missing or altered file fails the run.
A (document, field) that fails and is not in ``known_gaps.yaml`` fails; so does a listed gap that now passes
(remove it: ``python -m benchmarks.eval_formats --write-known-gaps``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pytest

from benchmarks import eval_formats as ev

MANIFEST = ev.load_manifest()
EXPECTATIONS = ev.load_expectations()
GAPS = ev.load_known_gaps()
DOC_IDS = [d["id"] for d in MANIFEST["documents"]]
FORMATS = {"iptc7901", "anpa1312", "nitf", "newsml12", "newsmlg2", "ninjs", "html", "text"}
KEYS = {
    "id", "heldout", "valid", "reason", "headline", "body_first", "body_last", "dateline", "byline", "byline_title",
    "pubstatus", "signals", "embargoed", "firstcreated", "versioncreated", "language", "uri", "version", "urgency",
    "items",
}
ROOT = ev.corpus_dir()


def test_the_corpus_is_here() -> None:
    assert ROOT is not None, "tests/data/third_party/agency-copy/ is missing: `git checkout -- tests/data/third_party`"


@lru_cache(maxsize=1)
def _payloads() -> dict[str, bytes]:
    assert ROOT is not None
    payloads, _problems = ev.read_documents(ROOT, MANIFEST)
    return payloads


def test_manifest_records_source_and_hash_of_every_document() -> None:
    ids = [d["id"] for d in MANIFEST["documents"]]
    assert len(ids) == len(set(ids)), "duplicate ids in the manifest"
    files = [d["file"] for d in MANIFEST["documents"]]
    assert len(files) == len(set(files)), "two documents share a file name"
    for doc in MANIFEST["documents"]:
        assert doc["format"] in FORMATS, doc["id"]
        assert re.fullmatch(r"[0-9a-f]{64}", doc["sha256"]), doc["id"]
        assert re.fullmatch(r"[0-9a-f]{40}", doc["commit"]), doc["id"]
        for key in ("agency", "language", "repository", "path", "licence"):
            assert doc.get(key), f"{doc['id']}: no {key}"


def test_every_document_has_expectations_written_for_it() -> None:
    assert set(EXPECTATIONS) == set(DOC_IDS)
    for doc_id, exp in EXPECTATIONS.items():
        assert set(exp) <= KEYS, f"{doc_id}: unknown keys {set(exp) - KEYS}"
        if exp.get("valid", True):
            for item in exp.get("items") or [exp]:
                assert {"body_first", "body_last"} & set(item), f"{doc_id}: nothing about the body"
        else:
            assert exp.get("reason"), f"{doc_id}: a document expected to be rejected needs a reason"
        dateline = exp.get("dateline")
        if dateline is not None:
            country = dateline.get("country")
            # YAML reads a bare NO as false: every code must be a quoted two-letter string.
            assert country is None or (isinstance(country, str) and re.fullmatch(r"[A-Z]{2}", country)), doc_id
        assert exp.get("pubstatus", "usable") in ("usable", "withheld", "canceled"), doc_id
        assert set(exp.get("signals") or []) <= ev.CHECKED_SIGNALS, doc_id


def test_a_fifth_of_the_corpus_is_held_out_across_formats() -> None:
    held = [d for d in MANIFEST["documents"] if EXPECTATIONS[d["id"]].get("heldout")]
    assert 0.15 <= len(held) / len(DOC_IDS) <= 0.3
    assert len({d["format"] for d in held}) >= 4


def test_known_gaps_name_real_documents_and_fields() -> None:
    for doc_id, name in GAPS:
        assert doc_id in EXPECTATIONS, f"known gap for unknown document {doc_id}"
        assert name in ev.FIELDS or name in ev.RENDER_CHECKS, f"{doc_id}: unknown field {name}"


def test_corpus_files_are_the_published_bytes() -> None:
    assert ROOT is not None
    _found, problems = ev.read_documents(ROOT, MANIFEST)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_document_normalises_as_expected(doc_id: str) -> None:
    payload = _payloads().get(doc_id)
    assert payload is not None, f"{doc_id}: file missing or altered (see test_corpus_files_are_the_published_bytes)"
    doc = next(d for d in MANIFEST["documents"] if d["id"] == doc_id)
    outcome = ev.evaluate(doc, EXPECTATIONS[doc_id], payload, ev.options_for(MANIFEST))
    failing = ev.failures([outcome])
    listed = {name for (gap_doc, name) in GAPS if gap_doc == doc_id}
    unexpected: dict[str, Any] = {
        name: outcome.errors.get(name, ("a valid rendering", observed))
        for (_d, name), observed in failing.items()
        if name not in listed
    }
    fixed = sorted(listed - {name for (_d, name) in failing})
    assert not unexpected, f"{doc_id}: " + "; ".join(
        f"{name}: expected {exp!r}, got {obs!r}" for name, (exp, obs) in unexpected.items()
    )
    assert not fixed, f"{doc_id}: now right, remove from known_gaps.yaml: {', '.join(fixed)}"
