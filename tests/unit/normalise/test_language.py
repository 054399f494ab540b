"""The numpy automaton walk of ``language.py`` gives py3langid's own feature counts and verdicts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from py3langid.langid import visit_counts

from pipeline.stages.normalise.language import _detector, _identifier
from tests.paths import SAMPLES, SEED


def _library_features(data: bytes) -> list[tuple[int, int]] | None:
    ident = _identifier()
    counts = visit_counts(ident.tk_nextmove, ident._rowbase, ident.tk_output, data)
    return list(counts.items()) if counts else None


def _fast_features(data: bytes) -> list[tuple[int, int]] | None:
    found = _detector().features(data)
    return None if found is None else list(zip(found[0].tolist(), found[1].tolist(), strict=True))


def _check(text: str) -> None:
    data = _identifier()._encode(text)
    assert _fast_features(data) == _library_features(data)
    assert _detector().classify(text) == _identifier().classify(text)


def test_depth_is_the_longest_ngram_prefix() -> None:
    # The packaged model's n-grams are a few bytes long; a walk shorter than the depth would miss features.
    assert 1 < _detector().depth < 16


def test_agency_samples_and_seed_match_the_library() -> None:
    texts = [SEED.read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(SAMPLES.iterdir()) if p.is_file()]
    for text in texts:
        for start in range(0, len(text), 300):
            _check(text[start : start + 600])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_matches_the_library(text: str) -> None:
    _check(text)


def test_short_inputs_match_the_library() -> None:
    for text in ["", "a", "ab", "abc", "abcde", "Ø", "日本", "ÆØÅ æøå"]:
        _check(text)


def test_float32_weights_are_numpys_conversion_of_every_weight() -> None:
    import numpy as np

    det = _detector()
    table = _identifier().nb_ptc
    for start in range(0, table.shape[0], 20_000):
        ids = np.arange(start, min(start + 20_000, table.shape[0]), dtype=np.intp)
        assert (det.weights(ids).view(np.uint32) == table[ids].astype(np.float32).view(np.uint32)).all()


def test_feature_counts_leave_the_scratch_counters_clean() -> None:
    import numpy as np

    det = _detector()
    for text in ["", "a", "the the the the the the", "Ein Text auf Deutsch, bitte sehr.", "日本語のテキスト"]:
        _check(text)
    assert not det.scratch.counts.any()
    assert (det.scratch.first == np.iinfo(np.int64).max).all()


def test_packed_rows_give_the_same_weights_whatever_order_features_arrive_in() -> None:
    import numpy as np

    from pipeline.stages.normalise.language import _Detector

    det = _Detector(_identifier())
    table = _identifier().nb_ptc
    rng = np.random.default_rng(5)
    for size in (1, 7, 300, 2000, 300):
        ids = rng.choice(min(5000, table.shape[0]), size=size, replace=False)
        assert (det.weights(ids).view(np.uint32) == table[ids].astype(np.float32).view(np.uint32)).all()
    assert det._rows_used <= 5000
