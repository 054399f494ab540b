"""Each disambiguation function in rules.py, on its own, plus the dateline rule."""

from __future__ import annotations

import pytest
from enrich_support import DEDUPE, make_story

from pipeline.stages.enrich import enrich, load_gazetteer, tag
from pipeline.stages.enrich import rules as R

RULES = load_gazetteer().rules


def test_prev_and_next_word() -> None:
    text = "Mr Jordan said, in Chad."
    assert R.prev_word(text, 3) == "Mr"
    assert R.next_word(text, 9) == "said"
    assert R.prev_word(text, 0) is None
    assert R.next_word("Chad,", 4) is None  # punctuation, not a space, follows


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("Michael Jordan scored.", "Jordan", "person"),
        ("Coach Chad resigned.", "Chad", "person"),
        ("Chad Smith played.", "Chad", "person"),
        ("King Abdullah of Jordan spoke.", "Jordan", "place"),
        ("Troops in Chad fought.", "Chad", "place"),
        ("Jordan Foreign Minister Safadi spoke.", "Jordan", None),
        ("Jordan said it would help.", "Jordan", None),
    ],
)
def test_person_evidence(text: str, name: str, expected: str | None) -> None:
    start = text.index(name)
    assert R.person_evidence(RULES, text, start, start + len(name), False, frozenset()) == expected


def test_person_evidence_ignores_capitals_in_title_case_headlines() -> None:
    text = "Protests Rock Jordan Ahead Of Vote"
    start = text.index("Jordan")
    assert R.person_evidence(RULES, text, start, start + 6, True, frozenset()) is None
    assert R.is_title_case(text)
    assert not R.is_title_case("Protests rock Jordan ahead of vote")


def test_is_shouting() -> None:
    assert R.is_shouting("BISHKEK (TCA) —")
    assert not R.is_shouting("Bishkek (TCA) —")


def test_georgia_votes() -> None:
    assert R.georgia_is_us_state(RULES, "Voters in Atlanta and Savannah, Ga.", [], 0)
    assert not R.georgia_is_us_state(RULES, "Protests in Tbilisi, in the South Caucasus.", [], 0)
    assert not R.georgia_is_us_state(RULES, "Georgia and its neighbours.", ["RU", "AM"], 0)
    assert R.georgia_is_us_state(RULES, "Georgia and Alabama.", [], 1)
    assert not R.georgia_is_us_state(RULES, "Georgia.", [], 0)  # a tie goes to the country


def test_resolve_ambiguous() -> None:
    assert R.resolve_ambiguous(("CD", "CG"), "CD", {"CG", "FR"}) == "CG"
    assert R.resolve_ambiguous(("CD", "CG"), "CD", set()) == "CD"
    assert R.resolve_ambiguous(("CD", "CG"), "CD", {"CD", "CG"}) == "CD"
    assert R.resolve_ambiguous(("KR", "KP"), "KR", {"KP"}) == "KP"


def test_is_metonym_use() -> None:
    assert R.is_metonym_use(RULES, "Beijing said", 7)
    assert R.is_metonym_use(RULES, "Moscow’s view", 6)
    assert not R.is_metonym_use(RULES, "Beijing traffic", 7)


def test_capital_metonym_cue_in_tags() -> None:
    tags = tag(make_story("Update", "Ankara said no. Traffic in Nairobi was heavy."))
    cues = {c.code: c.cues for c in tags.countries}
    assert cues == {"TR": ["metonym"], "KE": ["city"]}


def test_dateline_country_from_text_or_place_and_format_value_kept() -> None:
    from_text = enrich(make_story("Update", "Nothing.", dateline="NAIROBI, Kenya (Wire) —"), DEDUPE)
    assert from_text.dateline is not None and from_text.dateline.country == "KE"
    from_place = enrich(make_story("Update", "Nothing.", dateline="(Wire) —", place="Tbilisi"), DEDUPE)
    assert from_place.dateline is not None and from_place.dateline.country == "GE"
    given = enrich(make_story("Update", "Nothing.", dateline="PARIS (Wire) —", country="US"), DEDUPE)
    assert given.dateline is not None and given.dateline.country == "US"  # the format's value wins
    unknown = enrich(make_story("Update", "Nothing.", dateline="SOMEWHERE (Wire) —"), DEDUPE)
    assert unknown.dateline is not None and unknown.dateline.country is None


def test_dateline_cue_and_shouting_acronyms() -> None:
    tags = tag(make_story("US TROOPS LET US GO", "Nothing here.", dateline="BISHKEK (TCA) —"))
    assert {c.code: c.cues for c in tags.countries} == {"KG": ["dateline"]}
