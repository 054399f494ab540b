"""Routing: which subscriptions a story reaches, and what the notice says."""

from __future__ import annotations

from typing import Any

import pytest
from notify_support import T0, make_story

from pipeline.codec import decode, encode
from pipeline.stages.notify import (
    NOTIFIABLE,
    PER_CLUSTER,
    Router,
    Subscription,
    check_link_template,
    matches,
    notification_id,
    route,
    route_naive,
)
from schemas import EnrichedStory, Notification


def sub(name: str = "s", topic: str = "notify.s", **kw: Any) -> Subscription:
    delivery = kw.pop("delivery", "every_version")
    kills = kw.pop("kills", "all")
    return Subscription(name=name, topic=topic, filter=kw, delivery=delivery, kills=kills)


def names(story: EnrichedStory, subs: list[Subscription]) -> list[str]:
    """Subscriptions reached, via the router, after checking the reference loop agrees."""
    routed = Router(subs).route(story)
    assert routed == route_naive(story, subs)
    return [n.subscription for _, n in routed]


# --- countries: focus vs mention --------------------------------------------------------------------------------


def test_focus_only_matches_the_focus_country_not_a_mention() -> None:
    story = make_story(countries=("KG", "RU", "CN"), focus="KG")
    subs = [
        sub("kg-focus", countries=["KG"], country_match="focus"),
        sub("ru-focus", countries=["RU"], country_match="focus"),
        sub("ru-mention", countries=["RU"], country_match="mention"),
        sub("us-mention", countries=["US"]),
    ]
    assert names(story, subs) == ["kg-focus", "ru-mention"]


def test_story_without_focus_country_matches_no_focus_subscription() -> None:
    story = make_story(countries=("KG",), focus=None)
    assert names(story, [sub("f", countries=["KG"], country_match="focus"), sub("m", countries=["KG"])]) == ["m"]


def test_country_codes_in_config_are_normalised() -> None:
    s = sub(countries=["kgz", "ru"])
    assert s.filter.countries == frozenset({"KG", "RU"})
    assert matches(make_story(countries=("KG",), focus="KG"), s)


# --- blocs: explicit vs any -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("explicit", "expected"),
    [(True, ["named", "any"]), (False, ["any"])],
)
def test_bloc_explicit_only_vs_any(explicit: bool, expected: list[str]) -> None:
    story = make_story(blocs=(("EAEU", explicit),))
    subs = [sub("named", blocs=["EAEU"], bloc_match="explicit"), sub("any", blocs=["eaeu"]), sub("eu", blocs=["EU"])]
    assert names(story, subs) == expected


def test_bloc_codes_compare_case_insensitively() -> None:
    story = make_story(blocs=(("AfCFTA", True),))
    assert names(story, [sub("a", blocs=["AFCFTA"]), sub("b", blocs=["afcfta"], bloc_match="explicit")]) == ["a", "b"]


# --- agencies, urgency, keywords --------------------------------------------------------------------------------


def test_agencies_filter_case_insensitive() -> None:
    story = make_story(agency="TCA")
    assert names(
        story, [sub("tca", agencies=["tca"]), sub("afp", agencies=["AFP"]), sub("both", agencies=["AFP", "TCA"])]
    ) == [
        "tca",
        "both",
    ]


@pytest.mark.parametrize(("urgency", "reached"), [(1, True), (3, True), (4, False), (9, False), (None, False)])
def test_min_urgency_counts_one_as_most_urgent(urgency: int | None, reached: bool) -> None:
    assert matches(make_story(urgency=urgency), sub(min_urgency=3)) is reached


@pytest.mark.parametrize(
    ("keyword", "reached"),
    [
        ("president", True),  # headline and body
        ("PRESIDENT", True),  # case-insensitive
        ("presiden", False),  # not a whole word
        ("eurasian economic union", True),  # phrase in body
        ("economic   union", True),  # whitespace in the keyword collapses
        ("jeenbekov", True),
        ("kyrgyzstan's", True),
        ("russia", True),  # followed by end of headline
        ("union in 2015", True),
        ("2015.", True),  # ends in punctuation, end of text
        ("strategic partnership", True),  # quoted in the headline: quotes are boundaries
        ("partner", False),
        ("tuesday the country", True),
        ("kazakhstan", False),
    ],
)
def test_keywords_match_whole_words_in_headline_or_body(keyword: str, reached: bool) -> None:
    assert names(make_story(), [sub("k", keywords=[keyword])]) == (["k"] if reached else [])


def test_keyword_phrase_spans_collapsed_whitespace_but_not_paragraphs() -> None:
    story = make_story(headline="Central\u00a0 Bank raises rates", body=["The central", "bank said nothing."])
    assert names(story, [sub("k", keywords=["central bank"])]) == ["k"]  # via the headline
    story = make_story(headline="Rates rise", body=["The central", "bank said nothing."])
    assert names(story, [sub("k", keywords=["central bank"])]) == []


def test_keywords_respect_unicode_word_characters() -> None:
    story = make_story(headline="Ölpreis steigt", body=["Die Straße nach Bischkek ist gesperrt."])
    subs = [sub("a", keywords=["STRASSE"]), sub("b", keywords=["ölpreis"]), sub("c", keywords=["preis"])]
    assert names(story, subs) == ["a", "b"]


def test_all_filters_must_match() -> None:
    story = make_story(agency="TCA", countries=("KG",), focus="KG", urgency=2)
    full = {"countries": ["KG"], "agencies": ["TCA"], "min_urgency": 2, "keywords": ["president"]}
    assert names(story, [sub("all", **full)]) == ["all"]
    for key, wrong in [("countries", ["KZ"]), ("agencies", ["AFP"]), ("min_urgency", 1), ("keywords", ["bank"])]:
        assert names(story, [sub("one-off", **{**full, key: wrong})]) == []


def test_empty_filter_matches_every_notifiable_story() -> None:
    for verdict in sorted(NOTIFIABLE):
        assert names(make_story(verdict=verdict, countries=(), focus=None, blocs=()), [sub()]) == ["s"]


# --- delivery modes ---------------------------------------------------------------------------------------------


def test_per_cluster_notifies_first_story_then_updates_not_near_duplicates() -> None:
    every = sub("every", countries=["KG"])
    once = sub("once", countries=["KG"], delivery="per_cluster")
    subs = [every, once]
    first = make_story(uri="urn:tca:1", version=1, verdict="new", cluster_id="c1")
    copy = make_story(uri="urn:akipress:9", agency="AKIpress", verdict="near_duplicate", cluster_id="c1")
    update = make_story(uri="urn:tca:1", version=2, verdict="update", cluster_id="c1", signals=("update",))
    correction = make_story(uri="urn:tca:1", version=3, verdict="correction", cluster_id="c1")
    kill = make_story(uri="urn:tca:1", version=4, verdict="kill", cluster_id="c1", countries=(), focus=None)
    assert names(first, subs) == ["every", "once"]
    assert names(copy, subs) == ["every"]
    assert names(update, subs) == ["every", "once"]
    assert names(correction, subs) == ["every", "once"]
    assert names(kill, subs) == ["every", "once"]


def test_update_after_first_notice_carries_the_new_version_and_a_new_id() -> None:
    s = sub("desk", countries=["KG"], delivery="per_cluster")
    first = route(make_story(version=1, verdict="new"), [s])
    again = route(make_story(version=1, verdict="new"), [s])  # redelivery
    update = route(make_story(version=2, verdict="update", headline="UPDATE 1-Kyrgyz president"), [s])
    assert [n.version for _, n in first] == [1] and [n.version for _, n in update] == [2]
    assert update[0][1].verdict == "update" and update[0][1].headline == "UPDATE 1-Kyrgyz president"
    assert first[0][1].notification_id == again[0][1].notification_id
    assert first[0][1].notification_id != update[0][1].notification_id


def test_delivery_default_verdicts() -> None:
    assert sub().verdicts == NOTIFIABLE
    assert sub(delivery="per_cluster").verdicts == PER_CLUSTER
    assert "near_duplicate" not in PER_CLUSTER and "new" in PER_CLUSTER
    assert sub(verdicts=["new"], delivery="per_cluster").verdicts == frozenset({"new"})


def test_explicit_verdicts_filter() -> None:
    only_new = sub("only-new", verdicts=["new"])
    assert names(make_story(verdict="new"), [only_new]) == ["only-new"]
    assert names(make_story(verdict="update", version=2), [only_new]) == []
    assert names(make_story(verdict="kill", version=2), [only_new]) == []


# --- kills ------------------------------------------------------------------------------------------------------


def test_kill_reaches_subscribers_whose_filter_its_text_no_longer_matches() -> None:
    kill = make_story(
        version=2,
        verdict="kill",
        headline="KILL: withdrawn",
        body=["This story has been withdrawn."],
        countries=(),
        focus=None,
        blocs=(),
        urgency=None,
    )
    subs = [
        sub("kg", countries=["KG"], country_match="focus", keywords=["president"], min_urgency=3),
        sub("kg-matching", countries=["KG"], kills="matching"),
        sub("afp-only", agencies=["AFP"]),
        sub("no-kills", verdicts=["new", "update"]),
    ]
    assert names(kill, subs) == ["kg"]


def test_kill_with_kills_matching_still_reaches_a_matching_subscription() -> None:
    kill = make_story(version=2, verdict="kill")
    assert names(kill, [sub("kg", countries=["KG"], kills="matching")]) == ["kg"]


# --- the notice -------------------------------------------------------------------------------------------------


def test_notification_carries_the_compact_story_fields() -> None:
    story = make_story(countries=("KG", "RU"), focus="KG", blocs=(("EAEU", True),), urgency=3)
    [(topic, n)] = route(story, [sub("desk", topic="notify.desk")])
    assert topic == "notify.desk"
    assert n.subscription == "desk"
    assert (n.uri, n.version, n.verdict, n.agency, n.urgency) == (story.uri, 1, "new", "TCA", 3)
    assert n.headline == story.headline
    assert n.focus_country == "KG" and n.countries == ["KG", "RU"] and n.blocs == ["EAEU"]
    assert n.versioncreated == T0 and n.received_at == T0
    assert n.link is None
    assert n.notification_id == notification_id("desk", story.uri, 1, "new")
    assert decode(Notification, encode(n)) == n


def test_each_subscription_gets_its_own_id_and_name() -> None:
    story = make_story()
    routed = route(story, [sub("a", topic="t1"), sub("b", topic="t2"), sub("c", topic="t1")])
    assert [(t, n.subscription) for t, n in routed] == [("t1", "a"), ("t2", "b"), ("t1", "c")]
    assert len({n.notification_id for _, n in routed}) == 3
    assert all(
        n.model_dump(exclude={"subscription", "notification_id"})
        == routed[0][1].model_dump(exclude={"subscription", "notification_id"})
        for _, n in routed
    )


def test_link_template_fills_quoted_uri_version_and_agency() -> None:
    story = make_story(uri="urn:newsml:tca.kg:20171129:kg president", version=2, verdict="update")
    router = Router([sub()], link_template="https://wire.example/stories/{uri}?v={version}&a={agency}")
    [(_, n)] = router.route(story)
    assert n.link == "https://wire.example/stories/urn%3Anewsml%3Atca.kg%3A20171129%3Akg%20president?v=2&a=TCA"
    assert route_naive(story, [sub()], router.link_template) == router.route(story)


@pytest.mark.parametrize("template", ["https://x/{id}", "https://x/{uri", "https://x/{0}"])
def test_bad_link_template_is_refused_with_the_allowed_placeholders(template: str) -> None:
    with pytest.raises(ValueError, match=r"\{uri\}, \{version\}, \{agency\}"):
        check_link_template(template)
    with pytest.raises(ValueError):
        Router([sub()], link_template=template)


# --- the index --------------------------------------------------------------------------------------------------


def test_index_checks_only_candidate_subscriptions() -> None:
    subs = [sub(f"c{i}", countries=[code]) for i, code in enumerate(["KG", "KZ", "US", "FR", "RU"])]
    subs += [sub("bloc", blocs=["EU"]), sub("kw", keywords=["president"]), sub("kw2", keywords=["tariff"])]
    subs += [sub("agency", agencies=["AFP"]), sub("open")]
    router = Router(subs)
    story = make_story(countries=("KG", "RU"), blocs=(("EAEU", True),), agency="TCA")
    candidates = [subs[i].name for i in router.candidates(story)]
    assert candidates == ["c0", "c4", "kw", "open"]
    assert [s.name for s in router.matching(story)] == candidates


def test_router_topics_once_each_in_order() -> None:
    router = Router([sub("a", topic="t2"), sub("b", topic="t1"), sub("c", topic="t2")])
    assert router.topics == ("t2", "t1")
    assert len(router) == 3
