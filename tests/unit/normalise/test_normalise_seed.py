"""The seed story (plain wire text) normalises as the fixtures README says it must."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from normalise_support import RECEIVED, SEED, make_raw

from pipeline.stages.normalise import content_hash, normalise


def test_seed_story_fields() -> None:
    story = normalise(make_raw(SEED.read_bytes(), agency="TCA"))
    lines = [ln for ln in SEED.read_text("utf-8").splitlines() if ln.strip()]
    assert story.headline == lines[0]
    assert story.agency == "TCA"
    assert story.byline == "Sergey Kwan"
    assert story.dateline is not None
    assert story.dateline.text == "BISHKEK (TCA) —"
    assert story.dateline.place == "Bishkek"
    assert story.dateline.country is None  # plain text gives no country: enrich fills it
    assert story.source_format == "text"
    # The body starts after the dateline, without the caption before it.
    assert story.body[0].startswith("During his first official visit abroad")
    assert not any("president.kg" in p for p in story.body)
    # The story text ends with its last real paragraph; bio and page junk are gone.
    assert story.body[-1].startswith("In an interview with Russian state news agency TASS")
    text = "\n".join(story.body)
    for junk in ("Denmark", "divider", "View more articles", "Sergey Kwan", "has worked for The Times"):
        assert junk not in text
    assert len(story.body) == 9
    # Curly quotes kept, NFC throughout.
    assert "“every effort”" in story.body[0]
    assert "’" in story.headline
    assert all(unicodedata.is_normalized("NFC", p) for p in [story.headline, *story.body])


def test_seed_identity_is_stable_and_not_time_based() -> None:
    a = normalise(make_raw(SEED.read_bytes(), agency="TCA", submission_id="a"))
    b = normalise(make_raw(SEED.read_bytes(), agency="TCA", submission_id="b"))
    assert a.uri == b.uri == f"urn:wirefeed:TCA:{a.content_hash[:16]}"
    assert a.content_hash == content_hash(a.headline, a.body)
    assert a.version == 1
    assert a.versioncreated == RECEIVED  # plain text carries no time: the acceptance time is used
    assert a.submission_id == "a" and b.submission_id == "b"


def test_content_hash_folds_whitespace_and_normalises_unicode() -> None:
    composed = content_hash("Café  news", ["A  b\u00a0c", ""])
    decomposed = content_hash("Cafe\u0301 news", ["A b c"])
    assert composed == decomposed
    assert content_hash("Café news", ["A b c"]) == composed
    assert content_hash("Café news", ["A b", "c"]) != composed


@given(
    st.text(min_size=1, max_size=60),
    st.lists(st.text(max_size=80), max_size=5),
    st.sampled_from([" ", "  ", "\u00a0", "\t", " \n "]),
)
def test_content_hash_ignores_whitespace_and_normal_form(headline: str, body: list[str], space: str) -> None:
    def respace(s: str) -> str:
        return space.join(s.split(" "))

    base = content_hash(headline, body)
    assert content_hash(respace(headline), [respace(p) for p in body]) == base
    assert content_hash(unicodedata.normalize("NFD", headline), [unicodedata.normalize("NFD", p) for p in body]) == base
    assert content_hash(f"  {headline}\n", [*body, "", "   "]) == base
