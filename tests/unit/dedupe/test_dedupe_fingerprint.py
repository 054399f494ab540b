"""Fingerprints: the fast SimHash equals the textbook one; boilerplate and datelines do not count."""

from __future__ import annotations

import subprocess
import sys
from hashlib import blake2b

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.eval_dedupe import bases, make_story
from pipeline.stages.dedupe.simhash import (
    SHINGLE,
    fingerprint,
    hamming,
    simhash_words,
    sketch_words,
    story_words,
    strip_boilerplate,
    words,
)


def reference_simhash(tokens: list[str]) -> int:
    """SimHash as usually written: per shingle, per bit, +1/-1 votes."""
    k = min(SHINGLE, len(tokens))
    votes = [0] * 64
    grams = [tokens[i : i + k] for i in range(len(tokens) - k + 1)]
    for gram in grams:
        h = 0
        for pos, word in enumerate(gram):
            digest = blake2b(word.encode("utf-8"), digest_size=8 * SHINGLE, person=b"wirefeed-dedupe").digest()
            h ^= int.from_bytes(digest[8 * pos : 8 * pos + 8], "big")
        for bit in range(64):
            votes[bit] += 1 if h >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if votes[bit] > 0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["wire", "story", "bishkek", "moscow", "é", "x1", "said", "the"]), max_size=60))
def test_fast_simhash_equals_reference(tokens: list[str]) -> None:
    assert simhash_words(tokens) == (reference_simhash(tokens) if tokens else 0)


def test_simhash_is_64_bit_and_stable_across_processes() -> None:
    text = " ".join(bases()[0].body)
    here = simhash_words(words(text))
    code = (
        "import sys; from pipeline.stages.dedupe.simhash import simhash_words, words; "
        "print(simhash_words(words(sys.stdin.read())))"
    )
    there = subprocess.run(
        [sys.executable, "-c", code], input=text, capture_output=True, text=True, check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""}, cwd=str(__import__("pathlib").Path(__file__).parents[3]),
    ).stdout  # fmt: skip
    assert 0 < here < 2**64
    assert int(there) == here


def test_words_fold_case_and_compatibility_forms() -> None:
    assert words("Kyrgyzstan’s “FIRST” visit, ﬁnally") == ["kyrgyzstan", "s", "first", "visit", "finally"]


def test_boilerplate_and_dateline_do_not_change_the_fingerprint() -> None:
    seed = bases()[0]
    plain = make_story("urn:a", "TCA", seed.headline, list(seed.body))
    first = seed.body[0].replace("BISHKEK (TCA) — ", "Bishkek, Nov. 29, 2017 (Reuters) -- ")
    furnished = [first, *seed.body[1:], "(Reporting by Olga Dzyubenko; Editing by Andrew Osborn)",
                 "© 2017 Reuters. All rights reserved.", "View more articles fromTCA", "divider"]  # fmt: skip
    other = make_story("urn:b", "Reuters", seed.headline.upper(), furnished)
    assert story_words(plain) == story_words(other)
    assert fingerprint(plain) == fingerprint(other)


def test_strip_boilerplate_keeps_story_paragraphs() -> None:
    body = [
        "GROSSETO, Italy (AP) -- The trial began.",
        "Copyright lawyers for the survivors said they would appeal.",
        "(©NTB)",
        "Copyright 2013 The Associated Press. All rights reserved.",
        "bur-dar-gl/fz",
    ]
    assert strip_boilerplate(body) == [
        "The trial began.",
        "Copyright lawyers for the survivors said they would appeal.",
    ]


def test_short_body_uses_the_headline_too() -> None:
    a = make_story("urn:a", "X", "Quake hits Osh", ["Officials said."])
    b = make_story("urn:b", "X", "Flood hits Naryn", ["Officials said."])
    assert fingerprint(a) != fingerprint(b)


def test_edits_move_the_fingerprint_a_little_and_other_stories_a_lot() -> None:
    seed, other = bases()[0], bases()[6]
    a = make_story("urn:a", "TCA", seed.headline, list(seed.body))
    typo = [seed.body[0].replace("inauguration", "inaugruation"), *seed.body[1:]]
    b = make_story("urn:b", "TCA", seed.headline, typo)
    c = make_story("urn:c", other.agency, other.headline, list(other.body))
    assert hamming(fingerprint(a), fingerprint(b)) <= 8
    assert hamming(fingerprint(a), fingerprint(c)) >= 20


def test_lead_keys_are_the_smallest_shingle_hashes_of_the_lead() -> None:
    tokens = words(" ".join(bases()[0].body))
    sk = sketch_words(tokens, store_window=10, store_keys=3, probe_window=20, probe_keys=3)
    assert len(sk.store) == 3 and list(sk.store) == sorted(sk.store)
    assert sk.probe[0] <= sk.store[0]  # the probe window includes the store window
    longer = sketch_words(tokens, store_window=10, store_keys=10)
    assert sk.store == longer.store[:3]
    short = sketch_words(tokens[:12], store_window=10, store_keys=3, probe_window=10, probe_keys=3)
    assert short.store == short.probe == sk.store  # only the lead counts


def test_whitespace_token_path_equals_the_word_path() -> None:
    """fingerprint() hashes memoised whitespace tokens; it must equal SimHash over the normalised words."""
    for b in bases():
        s = make_story(f"urn:{b.key}", b.agency, b.headline, list(b.body))
        assert fingerprint(s) == simhash_words(story_words(s)), b.key
    odd = make_story(
        "urn:odd", "X", "h", ["RFE/RL’s “service”,\u00a0Kyrgyz—Russian ﬁrst ties — 2017/11/29 ... ok fine"]
    )
    assert fingerprint(odd) == simhash_words(story_words(odd))
