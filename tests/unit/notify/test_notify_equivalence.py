"""Property: the indexed router gives exactly what the loop over every subscription gives."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from notify_support import make_story

from pipeline.stages.notify import (
    NOTIFIABLE,
    KeywordIndex,
    Router,
    Subscription,
    _keyword_pattern,
    matches,
    route_naive,
)
from schemas import EnrichedStory

COUNTRIES = ["KG", "RU", "KZ", "CN", "US", "FR"]
BLOCS = ["EAEU", "EU", "SCO", "AfCFTA"]
AGENCIES = ["TCA", "AFP", "AKIpress", "reuters"]
WORDS = [
    "bank", "Bank", "central", "CENTRAL", "president", "Ölpreis", "Straße", "STRASSE", "u.s.", "U.S.", "_x",
    "rate", "rates", "2015", "a", "Bischkek", "café", "ﬁnance", "finance", "İstanbul", "istanbul",
]  # fmt: skip
SEPARATORS = [" ", "  ", "'", ".", "-", "_", ", ", "\u00a0", "\t", "", "’"]
KEYWORDS = ["bank", "central bank", "president", "ölpreis", "strasse", "u.s.", "_x", "rate", "2015", "a", "café",
            "finance", "istanbul", "i̇stanbul", "bank rate", "-", "'"]  # fmt: skip

word_text = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), min_size=1, max_size=12).map(
    lambda parts: "".join(w + s for w, s in parts)
)
any_text = st.one_of(word_text, st.text(min_size=1, max_size=40))
keyword = st.one_of(st.sampled_from(KEYWORDS), st.text(min_size=1, max_size=5).filter(lambda t: t.split() != []))


@st.composite
def subscriptions(draw: st.DrawFn) -> Subscription:
    f: dict[str, Any] = {}
    if draw(st.booleans()):
        f["countries"] = draw(st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=3))
        f["country_match"] = draw(st.sampled_from(["focus", "mention"]))
    if draw(st.booleans()):
        f["blocs"] = draw(st.lists(st.sampled_from([*BLOCS, "afcfta", "eu"]), min_size=1, max_size=2))
        f["bloc_match"] = draw(st.sampled_from(["explicit", "any"]))
    if draw(st.integers(0, 3)) == 0:
        f["agencies"] = draw(st.lists(st.sampled_from([*AGENCIES, "tca"]), min_size=1, max_size=2))
    if draw(st.integers(0, 3)) == 0:
        f["min_urgency"] = draw(st.integers(1, 9))
    if draw(st.integers(0, 2)) == 0:
        f["keywords"] = draw(st.lists(keyword, min_size=1, max_size=3))
    delivery = draw(st.sampled_from(["every_version", "per_cluster"]))
    if draw(st.integers(0, 3)) == 0:
        allowed = sorted(NOTIFIABLE - ({"near_duplicate"} if delivery == "per_cluster" else set()))
        f["verdicts"] = draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=3))
    return Subscription(
        name=f"s{draw(st.integers(0, 10_000))}",
        topic=draw(st.sampled_from(["t1", "t2", "t3"])),
        filter=f,
        delivery=delivery,
        kills=draw(st.sampled_from(["all", "matching"])),
    )


@st.composite
def stories(draw: st.DrawFn) -> EnrichedStory:
    countries = draw(st.lists(st.sampled_from(COUNTRIES), unique=True, max_size=4))
    focus = draw(st.one_of(st.none(), st.sampled_from(countries or COUNTRIES)))
    return make_story(
        agency=draw(st.sampled_from(AGENCIES)),
        headline=draw(any_text),
        body=draw(st.lists(any_text, min_size=1, max_size=3)),
        verdict=draw(st.sampled_from(sorted(NOTIFIABLE))),
        countries=countries,
        focus=focus,
        blocs=draw(st.lists(st.tuples(st.sampled_from(BLOCS), st.booleans()), max_size=3)),
        urgency=draw(st.one_of(st.none(), st.integers(1, 9))),
    )


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(subs=st.lists(subscriptions(), max_size=25), batch=st.lists(stories(), min_size=1, max_size=4))
def test_router_equals_naive_loop(subs: list[Subscription], batch: list[EnrichedStory]) -> None:
    router = Router(subs, link_template="https://wire.example/{agency}/{uri}/{version}")
    for story in batch:
        assert router.matching(story) == router.matching_scan(story) == [s for s in subs if matches(story, s)]
        assert router.route(story) == route_naive(story, subs, router.link_template)


@settings(max_examples=400, deadline=None)
@given(keywords=st.lists(keyword, min_size=1, max_size=6), text=st.lists(any_text, min_size=1, max_size=3))
def test_keyword_index_equals_one_regex_per_keyword(keywords: list[str], text: list[str]) -> None:
    story = make_story(headline=text[0], body=text[1:] or ["-"])
    sub = Subscription(name="k", topic="t", filter={"keywords": keywords})
    from pipeline.stages.notify import keyword_text

    haystack = keyword_text(story)
    expected = {k for k in sub.filter.keywords if _keyword_pattern(frozenset({k})).search(haystack)}
    assert KeywordIndex(sub.filter.keywords).found(haystack) == expected
