"""Acceptance 3: the labelled evaluation set, scored by the repo's scorer (benchmarks/eval_tagging.py).

Thresholds are the figures measured when the set was labelled (docs/tagging.md), so a change that makes
tagging worse on the set fails here.
"""

from __future__ import annotations

from benchmarks.eval_tagging import EVAL_FILE, load_cases, run


def test_eval_set_is_labelled_and_loads() -> None:
    cases = load_cases(EVAL_FILE)
    assert len(cases) >= 70
    assert {c.source for c in cases} == {"seed", "sample", "written", "heldout", "heldout2"}
    assert len({c.id for c in cases}) == len(cases)
    for case in cases:
        assert case.focus is None or case.focus in case.countries, case.id


def test_scores_on_eval_set() -> None:
    overall = run()[0]
    assert overall["subset"] == "all"
    assert overall["country_f1"] >= 0.95
    assert overall["bloc_f1"] >= 0.97
    assert overall["focus_accuracy"] >= 0.95
    # Better than the plain-frequency focus (CLIFF's) on the same stories.
    assert overall["focus_accuracy"] > overall["focus_accuracy_frequency_baseline"]


def test_focus_misses_are_grouped_by_mechanism() -> None:
    from benchmarks.eval_tagging import FOCUS_MISS_CLASSES, Case, focus_misses
    from tests.unit.enrich.enrich_support import make_story

    def case(name: str, headline: str, body: str, focus: str | None) -> Case:
        story = make_story(headline, body)
        return Case(id=name, source="en", story=story, countries=set(), focus=focus, blocs=set())

    pairs = [
        (case("right", "Kenya votes", "Kenya held an election.", "KE"), False),
        (case("absent", "Kenya votes", "Kenya held an election.", "UG"), False),
        (case("silent", "Votes counted", "Growth slowed in Kenya and in Uganda, the fund said.", "KE"), False),
        (case("other", "Kenya votes", "Kenya held an election.", "UG"), True),  # held out: never listed
        (case("wrong", "Uganda and Kenya talk", "Kenya and Uganda met in Kenya.", "UG"), False),
        (case("none", "Kenya votes", "Kenya held an election.", None), False),
    ]
    misses = focus_misses(pairs)
    assert list(misses) == list(FOCUS_MISS_CLASSES)
    assert list(misses.values()) == [["absent"], ["silent"], ["wrong"], ["none"]]
