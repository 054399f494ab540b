"""The multilingual evaluation set: its manifest and labels, and the per-language targets when the corpus is here.

The corpus (published stories) is committed in ``tests/data/third_party/tagging-multilingual/``
(``$WIREFEED_CORPORA/tagging-multilingual/`` is looked at first when set); without it the scoring test fails.

Targets for every language: country F1 ≥ 0.95, focus accuracy ≥ 0.92 (English ≥ 0.95), explicit-bloc F1 ≥ 0.95.
``BELOW_TARGET`` lists the languages that do not meet them yet, with the figures last measured: those rows must
not get worse than these figures; every other language must meet the targets.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

from benchmarks import tagging_corpus as tc
from benchmarks.eval_tagging import ml_targets, run_multilingual

#: language -> (country F1, focus accuracy, explicit-bloc F1) measured on the whole language row.
BELOW_TARGET: dict[str, tuple[float, float, float]] = {
    "ar": (0.785, 1.000, 1.000),
    "de": (0.909, 0.709, 1.000),
    "en": (0.941, 0.852, 1.000),
    "es": (0.927, 0.838, 1.000),
    "fi": (0.948, 0.818, 1.000),
    "fr": (0.906, 0.840, 0.800),
    "it": (0.953, 0.840, 1.000),
    "nl": (0.925, 0.818, 1.000),
    "ja": (0.924, 0.775, 1.000),
    "pl": (0.945, 0.875, 1.000),
    "pt": (0.937, 0.720, 1.000),
    "ru": (0.967, 0.896, 1.000),
    "uk": (0.952, 0.888, 1.000),
    "zh": (0.937, 0.884, 1.000),
}
#: Allowed drop below a listed figure before the test calls it a regression (rounding only).
TOLERANCE = 0.0005


def test_manifest_and_labels_agree() -> None:
    docs = tc.load_manifest()
    labels = tc.load_labels(docs)
    ids = [d.id for d in docs]
    assert len(ids) == len(set(ids)), "duplicate document ids in the manifest"
    assert len({(d.sha256, d.row) for d in docs}) == len(docs), "the same document is listed twice"
    assert {lab.document.id for lab in labels} == set(ids), "every document has labels and every label a document"
    for doc in docs:
        assert len(doc.sha256) == 64 and len(doc.commit) == 40, doc.id
        assert doc.extract in {"html", "text", "tsv-tokenised", "conllu"}, doc.id
        assert (doc.row is not None) == (doc.extract in {"tsv-tokenised", "conllu"}), doc.id
        assert doc.id.split("-")[0] == doc.language, doc.id
        assert doc.licence and doc.outlet and doc.repository.count("/") == 1, doc.id
    for lab in labels:
        assert lab.focus is None or lab.focus in lab.countries, lab.document.id
        assert all(len(c) == 2 and c.isupper() for c in lab.countries), lab.document.id
    per_language = Counter(lab.document.language for lab in labels)
    held = Counter(lab.document.language for lab in labels if lab.heldout)
    for lang, n in per_language.items():
        # About a fifth of each language is held out.
        assert held[lang] == n // 5, lang


def test_below_target_list_names_labelled_languages() -> None:
    languages = {lab.document.language for lab in tc.load_labels()}
    assert set(BELOW_TARGET) <= languages


def test_targets_per_language() -> None:
    folder = tc.find_corpus()
    rows = {r["subset"]: r for r in run_multilingual(folder)}
    languages = sorted(k for k in rows if " " not in k and k != "all")
    assert languages, "the corpus scored no language"
    failures = []
    for lang in languages:
        row = rows[lang]
        got = (row["country_f1"], row["focus_accuracy"], row["bloc_f1"])
        targets = ml_targets(lang)
        meets = all(row[k] >= v for k, v in targets.items())
        if lang in BELOW_TARGET:
            floor = BELOW_TARGET[lang]
            for name, value, least in zip(("country F1", "focus", "bloc F1"), got, floor, strict=True):
                if value < least - TOLERANCE:
                    failures.append(f"{lang}: {name} {value:.3f} fell below the listed {least:.3f}")
            if meets:
                warnings.warn(f"{lang} now meets the targets {got}: remove it from BELOW_TARGET", stacklevel=1)
        elif not meets:
            failures.append(f"{lang}: {got} misses the targets {targets}")
    assert not failures, "; ".join(failures)


def test_conllu_documents_are_rebuilt_from_their_sentences(tmp_path: Path) -> None:
    by_newdoc = (
        "# doc_title = Заголовок\n# newdoc id = d1\n# newpar id = p1\n# sent_id = 1\n# text = Перше речення.\n1\tx\n\n"
        "# sent_id = 2\n# text = Друге.\n1\tx\n\n# newpar id = p2\n# sent_id = 3\n# text = Третє.\n1\tx\n\n"
        "# newdoc id = d2\n# sent_id = 4\n# text = Інше.\n1\tx\n\n"
    )
    by_prefix = (
        "# sent_id = wn1.1\n# text = Otsikko\n1\tx\n\n# sent_id = wn1.2\n# text = Teksti.\n1\tx\n\n"
        "# sent_id = WR-1\\WR-1.p.1.s.1\n# text = GENUA - Eerste.\n1\tx\n\n"
    )
    for name, text in (("a.conllu", by_newdoc), ("b.conllu", by_prefix)):
        (tmp_path / name).write_text(text, "utf-8")
    docs = tc._conllu_docs(tmp_path, "a.conllu", tc.sha256_of((tmp_path / "a.conllu").read_bytes()))
    assert tc._from_conllu(docs["d1"]) == ("Заголовок", ["Перше речення. Друге.", "Третє."])
    assert set(docs) == {"d1", "d2"}
    docs = tc._conllu_docs(tmp_path, "b.conllu", tc.sha256_of((tmp_path / "b.conllu").read_bytes()))
    assert tc._from_conllu(docs["wn1"]) == ("Otsikko", ["Teksti."])
    assert tc._from_conllu(docs["WR-1"]) == ("GENUA - Eerste.", [])
