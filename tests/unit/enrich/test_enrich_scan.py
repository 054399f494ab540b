"""The fast paths of the tagger give what the plain rules give: the scan with per-surface plans against a direct
reading of the rules, the folding of a story's parts, the metonym pattern and the cached bloc rows."""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from datetime import date

import pytest
from enrich_support import make_story
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pipeline.stages.enrich import load_gazetteer
from pipeline.stages.enrich import rules as R
from pipeline.stages.enrich.gazetteer import ANY, CAP, CHECK, INERT_CHARS, Entry, Gazetteer, fold, fold_joined, key_plan
from pipeline.stages.enrich.tagger import (
    _GENITIVE_S_LANGS,
    _bloc_rows,
    _bloc_tags_of,
    _Checker,
    _lang_ok,
    _leftmost,
    _parts,
    scan,
)

_GAZ = load_gazetteer()
_AUTOMATA = (_GAZ.leftmost, _GAZ.leftmost_bytes, _GAZ.matcher)  # built on first use: built here, before any timing
_SURFACES = sorted({e.surface for bucket in _GAZ.entries_by_surface.values() for e in bucket})
_FILLER = ["the", "said", "in", "of", "and", "Mr", "'s", "’s", "s", ",", ".", "—", "(AP)", "US", "us", "focus", "İ"]
_FILLER += [
    "在",
    "の",
    "ー",
    "و",
    "ال",
    "ς",
    "ё",
]  # a Han character, hiragana, katakana, Arabic clitics, folded letters
_LANGS = ["en", "nb", "no", "nn", "sv", "da", "de", "fr", "ru", "ar", "zh", "ja"]


def _joins(c: str) -> bool:
    """A letter or digit beside a match makes it part of a word, except a Chinese character or a hiragana."""
    name = unicodedata.name(c, "")
    return c.isalnum() and not name.startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH", "HIRAGANA"))


def _joins_at(outer: str, inner: str) -> bool:
    """``outer`` beside a match joins it as :func:`_joins` says, except a digit beside a match that ends (or
    starts) in Chinese or Japanese script: those write numbers without spaces (北京11月)."""
    cjk = unicodedata.name(inner, "").startswith(("CJK", "HIRAGANA", "KATAKANA"))
    return _joins(outer) and not (cjk and outer.isdigit())


def _variant(word: str, how: int) -> str:
    return [word, word.upper(), word.lower(), word.title(), word.swapcase()][how]


words = st.one_of(
    st.builds(_variant, st.sampled_from(_SURFACES), st.integers(0, 4)),
    st.sampled_from(_FILLER),
    st.text(min_size=1, max_size=6),
)
separators = st.sampled_from([" ", " ", ", ", ". ", "-", "", "s ", "’", "'", "\u00a0", "\u2013", "1"])
paragraph = st.lists(st.tuples(words, separators), min_size=1, max_size=25).map(
    lambda ws: "".join(w + s for w, s in ws).strip() or "x"
)


def reference_scan(gaz: Gazetteer, parts: list[tuple[str, int, str]], lang: str) -> list[tuple[int, int, int, Entry]]:
    """The rules read directly: every surface's matches on the folded text, the word-boundary test, each entry's
    language and case in turn, the longest match first and no overlaps."""
    joined = "\n".join(t for _, _, t in parts)
    starts, pos = [], 0
    for _, _, t in parts:
        starts.append(pos)
        pos += len(t) + 1
    n = len(joined)
    found = []
    for key, start, end in gaz.matcher.find_matches_as_indexes(fold(joined), overlapping=True):
        if start > 0 and _joins_at(joined[start - 1], joined[start]):
            continue
        if end < n and _joins_at(joined[end], joined[end - 1]):
            genitive = lang in _GENITIVE_S_LANGS and joined[end] == "s"
            if not (genitive and (end + 1 == n or not _joins(joined[end + 1]))):
                continue
        for entry in gaz.key_entries[key]:
            if not _lang_ok(entry.lang, lang):
                continue
            if entry.case == "cap" and not joined[start].isupper():
                continue
            if entry.case == "exact":
                if joined[start:end] != entry.surface:
                    continue
                k = bisect_right(starts, start) - 1
                short = sum(c.isalpha() for c in entry.surface) <= gaz.rules.shouting_acronym_max_len
                if short and parts[k][0] != "body" and R.is_shouting(parts[k][2]):
                    continue
            found.append((start, -end, entry))
            break
    found.sort(key=lambda f: (f[0], f[1]))
    out, last_end = [], -1
    for start, neg_end, entry in found:
        if start >= last_end:
            k = bisect_right(starts, start) - 1
            out.append((k, start - starts[k], -neg_end - starts[k], entry))
            last_end = -neg_end
    return out


def _scanned(parts: list[tuple[str, int, str]], lang: str) -> list[tuple[int, int, int, Entry]]:
    found = scan(_GAZ, parts, lang)
    every = found.mentions + found.blocs + found.blockers
    return sorted(((m.slot, m.start, m.end, m.entry) for m in every), key=lambda m: (m[0], m[1]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headline=paragraph,
    body=st.lists(paragraph, min_size=1, max_size=4),
    dateline=st.one_of(st.none(), paragraph),
    lang=st.sampled_from(_LANGS),
)
def test_scan_is_the_rules_read_directly(headline: str, body: list[str], dateline: str | None, lang: str) -> None:
    parts = _parts(make_story(headline, *body, dateline=dateline))
    assert _scanned(parts, lang) == reference_scan(_GAZ, parts, lang)


def test_scan_on_known_cases() -> None:
    cases = [
        "LET US GO to the US and the EU, said the focus group in Kazakhstan’s capital.",
        "Sveriges regering och Natos chef möttes i Bryssel.",
        "Moscow, Idaho and Paris, Texas; Guinea-Bissau and Guinea.",
        "Talks in east Jerusalem and the Bahamas, then Europa. Pa. Guinea-Bissaux. guinea-Bissau-Guinean troops",
        "Indias regjering svarte Norges statsminister; the island of Island.",
        "\U000275ceAbuja and 𠀀Bischkek: a Han ideograph outside the basic block does not join a Latin name.",
    ]
    for text in cases:
        for lang in _LANGS:
            parts = _parts(make_story(text.upper(), text, dateline=text[:20]))
            assert _scanned(parts, lang) == reference_scan(_GAZ, parts, lang)


def _leftmost_holds(text: str, lang: str = "en") -> bool:
    """True when the leftmost-longest pass alone answered for the text (no second, overlapping pass)."""
    parts = _parts(make_story("Update", text))
    texts = [t for _, _, t in parts]
    joined = "\n" + "\n".join(texts) + "\n"
    bounds = [1, len(parts[0][2]) + 2, len(joined)]
    return _leftmost(_GAZ, fold_joined(texts), _Checker(_GAZ, joined, bounds, parts, lang)) is not None


def test_failed_matches_inside_one_word_are_dropped_without_a_second_pass() -> None:
    assert _leftmost_holds("The focus was on Kazakhstan.")  # 'us' inside a word
    assert _leftmost_holds("Officials from Europa. came")  # 'pa.' starts inside a word
    assert _leftmost_holds("The island was quiet.")  # Norwegian and Swedish 'Island' in an English story
    assert _leftmost_holds("He went to china and turkey.")  # lower case where a capital is needed
    # 'Jerusalem' starts inside 'east jerusalem' and ends with it: found inside, the leftmost pass goes on
    assert _leftmost_holds("Talks in east Jerusalem.")
    # 'Bissau-Guinean' starts inside the failed 'guinea-bissau' and ends after it: the overlapping pass answers
    assert not _leftmost_holds("guinea-Bissau-Guinean troops")
    # a lower-case plural in a language with a bare genitive -s: "kazakh" + "s" might hold where "kazakhs" failed,
    # so the matches inside it are looked at (none holds) and the leftmost pass goes on
    assert _leftmost_holds("de kazakhs", lang="nb")
    assert _leftmost_holds("de kazakhs", lang="en")


def test_plans() -> None:
    plans = {rule for rule, *_ in _GAZ.plans}
    assert plans == {ANY, CAP, CHECK}
    assert len(_GAZ.plans) == len(_GAZ.key_entries)
    for (rule, first, cls, readings, code, cue), entries in zip(_GAZ.plans, _GAZ.key_entries, strict=True):
        assert first is entries[0] and [r[0] for r in readings] == list(entries)
        assert (first, cls, code, cue) == readings[0] and code == first.code and cue == (first.cue or "name")
        if rule != CHECK:  # the first entry decides alone: any language, and later entries fail with it
            assert first.lang is None and first.case in ("any", "cap")
            assert first.case == "any" or all(e.case == "cap" for e in entries)
    assert key_plan(_GAZ.entries_by_surface["us"])[0] == CHECK


texts = st.lists(st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=40), min_size=1, max_size=5)


def _same_fold(ours: str, joined: str) -> bool:
    """``ours`` is ``fold(joined)``, but for characters no surface contains, which may be NUL instead."""
    theirs = fold(joined)
    return len(ours) == len(theirs) and all(
        a == b or (a == "\x00" and c in INERT_CHARS) for a, b, c in zip(ours, theirs, joined, strict=True)
    )


@given(texts)
def test_fold_joined_is_fold_of_the_joined_text(parts: list[str]) -> None:
    assert _same_fold(fold_joined(parts), "\n" + "\n".join(parts) + "\n")


@given(st.lists(st.text(alphabet=st.sampled_from("aB İΣ’–—“”\u00a0ÄößÆøÅ«»·µÿÞ"), max_size=20), min_size=1, max_size=4))
def test_fold_joined_with_typographic_and_latin1_characters(parts: list[str]) -> None:
    assert _same_fold(fold_joined(parts), "\n" + "\n".join(parts) + "\n")


def test_latin1_text_folds_by_table() -> None:
    every = "".join(chr(i) for i in range(1, 256) if chr(i) != "\n")
    assert _same_fold(fold_joined([every, "Øst – «Å»"]), f"\n{every}\nØst – «Å»\n")
    assert fold_joined(["«OSLO» – Ærlig ØST"]) == "\n\x00oslo\x00 - ærlig øst\n"


def test_fold_joined_on_characters_whose_lower_case_is_longer_or_contextual() -> None:
    for parts in (
        ["İstanbul", "ΟΔΟΣ Σ"],
        ["ΟΔΟΣ", "x"],
        ["Kazakhstan’s – capital\u00a0Astana", "İ"],
        ["“Kyrgyzstan’s” — Bishkek", "Côte d’Ivoire"],
    ):
        assert _same_fold(fold_joined(parts), "\n" + "\n".join(parts) + "\n")
    assert fold_joined(["“Kyrgyzstan’s” — Bishkek"]) == "\n\x00kyrgyzstan's\x00 \x00 bishkek\n"


def _metonym_reference(text: str, end: int) -> bool:
    if text[end : end + 2] in ("'s", "’s"):
        return True
    after = R.next_word(text, end)
    return after is not None and after in _GAZ.rules.metonym_verbs


tails = st.lists(
    st.sampled_from([" ", "  ", "said", "says", "sayss", "'s", "’s", ".", ",", ")", "”", "\u2003", "\t", "x", "Said"]),
    max_size=6,
).map("".join)


@given(tails)
def test_metonym_pattern_is_next_word_in_the_verbs(tail: str) -> None:
    text = "Moscow" + tail
    assert R.is_metonym_use(_GAZ.rules, text, 6) == _metonym_reference(text, 6)


def test_metonym_pattern_examples() -> None:
    for text, expected in [
        ("Moscow said.", True),
        ("Moscow's", True),
        ("Moscow’s", True),
        ("Moscow said", True),
        ("Moscow said).", True),
        ("Moscow saidx", False),
        ("Moscow  said", False),
        ("Moscow ", False),
        ("Moscow, said", False),
        ("Moscow 's", True),
    ]:
        assert R.is_metonym_use(_GAZ.rules, text, 6) is expected, text
        assert _metonym_reference(text, 6) is expected, text


def test_metonym_pattern_leaves_out_verbs_next_word_cannot_return() -> None:
    pattern = R.metonym_pattern(frozenset({"said", "told reporters", "hm.", ""}))
    assert pattern.match(" said", 0)
    assert not pattern.match(" told reporters", 0)
    assert not pattern.match(" hm.", 0)


def test_bloc_rows() -> None:
    day = date(2020, 1, 1)
    rows = _bloc_rows(_GAZ, (), frozenset({"KG", "KZ", "RU", "US"}), day)
    assert {code for code, *_ in rows} >= {"EAEU", "CIS", "CSTO", "SCO"}
    assert not any(named for _, _, named, _ in rows)
    sizes = [len(members) for _, _, _, members in rows]
    assert sizes == sorted(sizes, reverse=True)
    assert all(set(members) <= {"KG", "KZ", "RU", "US"} for *_, members in rows)
    named = _bloc_rows(_GAZ, ("EU",), frozenset({"KG"}), day)
    assert named[0] == ("EU", _GAZ.blocs["EU"].name, True, ())
    tags = _bloc_tags_of(_GAZ, (), frozenset({"KG", "KZ", "RU", "US"}), day)
    assert [(t.code, t.name, t.explicit, t.members) for t in tags] == rows
    assert _bloc_tags_of(_GAZ, (), frozenset({"KG", "KZ", "RU", "US"}), day) is tags  # cached
    with pytest.raises(ValidationError):  # frozen, since stories share them
        tags[0].explicit = True


_ASCII_SURFACES = sorted(k for k in _GAZ.entries_by_surface if k.isascii())


@given(st.lists(st.one_of(st.sampled_from(_ASCII_SURFACES), st.text(alphabet="ab .,'-\n", max_size=6)), max_size=30))
def test_the_bytes_automaton_matches_like_the_str_one_on_ascii_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert _GAZ.leftmost_bytes.find_matches_as_indexes(text.encode()) == _GAZ.leftmost.find_matches_as_indexes(text)
