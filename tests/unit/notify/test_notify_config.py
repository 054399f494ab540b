"""Loading the subscriptions file: YAML and TOML, defaults, and errors that name the file, line, field and fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from notify_support import make_story

from pipeline.config import Settings
from pipeline.sinks.subscriptions import (
    SubscriptionConfigError,
    default_subscriptions,
    load_subscriptions,
    main,
    parse_subscriptions,
    router_from_settings,
)
from pipeline.stages.notify import Router, Subscription

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "deploy" / "subscriptions.example.yaml"

YAML_OK = """\
version: 1
subscriptions:
  - name: central-asia
    topic: notify.central-asia
    filter:
      countries: [KG, kaz]
      country_match: focus
      keywords: [Central Bank]
    delivery: per_cluster
  - name: everything
    topic: wire.notifications
"""

TOML_OK = """\
version = 1

[[subscriptions]]
name = "central-asia"
topic = "notify.central-asia"
delivery = "per_cluster"

[subscriptions.filter]
countries = ["KG", "kaz"]
country_match = "focus"
keywords = ["Central Bank"]

[[subscriptions]]
name = "everything"
topic = "wire.notifications"
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, name: str, text: str) -> SubscriptionConfigError:
    path = write(tmp_path, name, text)
    with pytest.raises(SubscriptionConfigError) as info:
        load_subscriptions(path)
    assert str(path) in str(info.value)
    return info.value


# --- loading ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "text"), [("subs.yaml", YAML_OK), ("subs.yml", YAML_OK), ("subs.toml", TOML_OK)])
def test_yaml_and_toml_load_the_same_subscriptions(tmp_path: Path, name: str, text: str) -> None:
    subs = load_subscriptions(write(tmp_path, name, text))
    assert [s.name for s in subs] == ["central-asia", "everything"]
    first = subs[0]
    assert first.topic == "notify.central-asia"
    assert first.delivery == "per_cluster"
    assert first.filter.countries == frozenset({"KG", "KZ"})
    assert first.filter.country_match == "focus"
    assert first.filter.keywords == frozenset({"central bank"})
    assert subs[1].filter == Subscription(name="x", topic="t").filter


def test_yaml_file_may_be_a_bare_list(tmp_path: Path) -> None:
    subs = load_subscriptions(write(tmp_path, "s.yaml", "- {name: a, topic: t.a}\n- {name: b, topic: t.b}\n"))
    assert [(s.name, s.topic) for s in subs] == [("a", "t.a"), ("b", "t.b")]


def test_topic_prefix_applies_to_subscription_topics(tmp_path: Path) -> None:
    subs = load_subscriptions(write(tmp_path, "s.yaml", YAML_OK), topic_prefix="staging.")
    assert [s.topic for s in subs] == ["staging.notify.central-asia", "staging.wire.notifications"]


def test_no_file_means_one_all_subscription_to_the_catalogue_topic() -> None:
    assert (
        load_subscriptions(None) == default_subscriptions() == (Subscription(name="all", topic="wire.notifications"),)
    )
    assert load_subscriptions(None, "staging.")[0].topic == "staging.wire.notifications"


def test_example_file_loads_and_routes_the_seed_like_story() -> None:
    subs = load_subscriptions(EXAMPLE)
    assert len({s.name for s in subs}) == len(subs) >= 4
    routed = Router(subs).route(make_story(countries=("KG", "RU"), focus="KG", blocs=(("EAEU", True),)))
    assert {n.subscription for _, n in routed} == {"all", "central-asia-desk", "eaeu-named"}


def test_router_from_settings_uses_file_prefix_and_link_template(tmp_path: Path) -> None:
    settings = Settings(
        subscriptions_file=write(tmp_path, "s.toml", TOML_OK),
        topic_prefix="p.",
        notification_link_template="https://wire.example/stories/{uri}",
    )
    router = router_from_settings(settings)
    assert router.topics == ("p.notify.central-asia", "p.wire.notifications")
    [(_, n)] = router.route(make_story(uri="urn:x", focus="RU", countries=("RU",)))
    assert n.link == "https://wire.example/stories/urn%3Ax"


def test_router_from_settings_names_the_bad_link_template_setting() -> None:
    with pytest.raises(ValueError, match="WIREFEED_NOTIFICATION_LINK_TEMPLATE"):
        router_from_settings(Settings(notification_link_template="https://x/{story}"))


def test_command_line_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(EXAMPLE)]) == 0
    assert "central-asia-desk" in capsys.readouterr().out
    assert main([str(write(tmp_path, "bad.yaml", "subscriptions: [{name: a}]\n"))]) == 1
    assert "required key 'topic' is missing" in capsys.readouterr().err


# --- errors: where and what to do -------------------------------------------------------------------------------


def test_every_problem_is_reported_with_line_field_and_fix(tmp_path: Path) -> None:
    text = """\
version: 1
subscriptions:
  - name: asia
    topic: notify.asia
    countries: [KG]
    filter:
      countries: [UK, NO, kgz]
      country_match: focused
      keyword: [bank]
      min_urgency: 0
  - topic: notify.other
"""
    err = problems(tmp_path, "s.yaml", text)
    by_where = {p.where: p for p in err.problems}
    assert set(by_where) == {
        "subscriptions[0] (asia).countries",
        "subscriptions[0] (asia).filter.countries[0]",
        "subscriptions[0] (asia).filter.countries[1]",
        "subscriptions[0] (asia).filter.country_match",
        "subscriptions[0] (asia).filter.keyword",
        "subscriptions[0] (asia).filter.min_urgency",
        "subscriptions[1].name",
    }
    assert by_where["subscriptions[0] (asia).countries"].line == 5
    assert "indent it under 'filter:'" in by_where["subscriptions[0] (asia).countries"].message
    uk = by_where["subscriptions[0] (asia).filter.countries[0]"]
    assert uk.line == 7 and "'UK' is not an ISO 3166-1 code" in uk.message and "GB" in uk.message
    assert "quote country codes" in by_where["subscriptions[0] (asia).filter.countries[1]"].message
    match = by_where["subscriptions[0] (asia).filter.country_match"]
    assert match.line == 8 and "'focused'" in match.message and "focus or mention" in match.message
    keyword = by_where["subscriptions[0] (asia).filter.keyword"]
    assert keyword.line == 9 and "did you mean 'keywords'?" in keyword.message
    assert by_where["subscriptions[0] (asia).filter.min_urgency"].line == 10
    missing = by_where["subscriptions[1].name"]
    assert missing.line == 11 and "required key 'name' is missing" in missing.message
    rendered = str(err)
    assert f"{tmp_path / 's.yaml'}:7: subscriptions[0] (asia).filter.countries[0]:" in rendered
    assert "7 problems" in rendered


def test_duplicate_names_and_pipeline_topics_are_refused(tmp_path: Path) -> None:
    text = "subscriptions:\n  - {name: a, topic: t1}\n  - name: a\n    topic: wire.enriched\n"
    err = problems(tmp_path, "s.yaml", text)
    [dup, reserved] = err.problems
    assert dup.line == 3 and "duplicate name 'a'" in dup.message
    assert reserved.line == 4 and "'wire.enriched' is a pipeline topic" in reserved.message


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    err = problems(tmp_path, "s.yaml", "subscriptions:\n  - name: a\n    topic: t\n    topic: u\n")
    [p] = err.problems
    assert p.line == 4 and "'topic'" in p.where and "twice" in p.message


def test_per_cluster_with_near_duplicate_verdict_is_a_contradiction(tmp_path: Path) -> None:
    text = "subscriptions:\n  - name: a\n    topic: t\n    delivery: per_cluster\n"
    text += "    filter: {verdicts: [near_duplicate]}\n"
    [p] = problems(tmp_path, "s.yaml", text).problems
    assert p.line == 2 and "never sends near_duplicate" in p.message


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [("[duplicate]", "never reach wire.enriched"), ("[]", "matches nothing"), ("[fresh]", "'fresh'")],
)
def test_bad_verdicts(tmp_path: Path, verdicts: str, expected: str) -> None:
    [p] = problems(
        tmp_path, "s.yaml", f"subscriptions:\n  - {{name: a, topic: t, filter: {{verdicts: {verdicts}}}}}\n"
    ).problems
    assert expected in p.message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("name", "'has space'", "must be 1-100 letters"),
        ("topic", "'bad/topic'", "not a legal Kafka topic name"),
        ("topic", "'..'", "not a legal Kafka topic name"),
        ("delivery", "every", "every_version or per_cluster"),
        ("kills", "none", "all or matching"),
    ],
)
def test_bad_subscription_fields(tmp_path: Path, field: str, value: str, expected: str) -> None:
    fields = {"name": "a", "topic": "t", field: value}
    text = "subscriptions:\n  - " + "\n    ".join(f"{k}: {v}" for k, v in fields.items()) + "\n"
    [p] = problems(tmp_path, "s.yaml", text).problems
    assert p.where.endswith(f".{field}") and expected in p.message


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    [p] = problems(tmp_path, "s.yaml", "subscriptions:\n  - name: a\n    topic: [t\n").problems
    assert p.where == "YAML syntax" and p.line == 4


def test_toml_syntax_error_has_a_line(tmp_path: Path) -> None:
    [p] = problems(tmp_path, "s.toml", '[[subscriptions]]\nname = "a"\ntopic = \n').problems
    assert p.where == "TOML syntax" and p.line == 3


def test_toml_validation_errors_point_at_the_key(tmp_path: Path) -> None:
    text = TOML_OK.replace('country_match = "focus"', 'country_match = "both"').replace(
        'name = "everything"', 'name = "everything"\nurgency = 2'
    )
    err = problems(tmp_path, "s.toml", text)
    lines = {p.where: p.line for p in err.problems}
    assert lines == {
        "subscriptions[0] (central-asia).filter.country_match": 10,
        "subscriptions[1] (everything).urgency": 15,
    }


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("s.yaml", "", "is empty"),
        ("s.yaml", "# only a comment\n", "is empty"),
        ("s.toml", "", "is empty"),
        ("s.yaml", "subscriptions: []\n", "at least 1 item"),
        ("s.yaml", "just text\n", "must be a mapping"),
        ("s.yaml", "version: 2\nsubscriptions: [{name: a, topic: t}]\n", "got 2"),
        ("s.json", "{}", "name the file *.yaml, *.yml or *.toml"),
    ],
)
def test_file_level_problems(tmp_path: Path, name: str, text: str, expected: str) -> None:
    assert expected in str(problems(tmp_path, name, text))


def test_missing_file_says_which_setting_to_fix(tmp_path: Path) -> None:
    with pytest.raises(SubscriptionConfigError, match="WIREFEED_SUBSCRIPTIONS_FILE"):
        load_subscriptions(tmp_path / "absent.yaml")


def test_parse_from_text_names_the_source() -> None:
    with pytest.raises(SubscriptionConfigError, match=r"^inline: 1 problem"):
        parse_subscriptions("subscriptions: [{name: a}]", "yaml", source="inline")
