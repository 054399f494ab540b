"""The backend-independent parts of the store: search terms, cursors, URLs, SQL building, migrations."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.sinks.store.migrations import migrations
from pipeline.sinks.store.postgres import DIALECT as PG
from pipeline.sinks.store.query import (
    InvalidCursorError,
    StoryQuery,
    decode_cursor,
    encode_cursor,
    fts5_match,
    parse_ts_text,
    search_terms,
    ts_text,
)
from pipeline.sinks.store.sql import story_query_sql
from pipeline.sinks.store.sqlite import DIALECT as SQLITE
from pipeline.sinks.store.sqlite import sqlite_path


def test_search_terms() -> None:
    assert search_terms('Uranium  "Strategic   Partnership" -foo* AND') == [
        "uranium",
        "strategic partnership",
        "foo",
        "and",
    ]
    assert search_terms('"" ... ;') == []
    assert search_terms("Müller Ōsaka") == ["müller", "ōsaka"]
    assert search_terms('"unclosed phrase') == ["unclosed", "phrase"]


def test_fts5_match_quotes_every_term() -> None:
    assert fts5_match(["uranium", "strategic partnership"]) == '"uranium" "strategic partnership"'


@settings(deadline=None)  # no timing: the machine may be busy
@given(st.text(max_size=60))
def test_fts5_match_is_always_quoted(text: str) -> None:
    expr = fts5_match(search_terms(text))
    # every term is a double-quoted string with no bare double quote inside
    assert re.fullmatch(r'(?:"[^"]+"(?: "[^"]+")*)?', expr)


def test_ts_text_sorts_like_time() -> None:
    a = datetime(2017, 11, 28, 9, 0, tzinfo=UTC)
    times = [a, a + timedelta(microseconds=1), a + timedelta(hours=30), a.replace(year=2026)]
    texts = [ts_text(t) for t in times]
    assert texts == sorted(texts)
    assert [parse_ts_text(t) for t in texts] == times
    assert ts_text(datetime(2017, 11, 28, 12, 0, tzinfo=UTC).astimezone()) == "2017-11-28T12:00:00.000000Z"


def test_cursor_round_trip_and_checks() -> None:
    q = StoryQuery(countries=["kg"], limit=5)
    c = encode_cursor(q, "2017-11-28T09:00:00.000000Z", "urn:a")
    assert decode_cursor(q.model_copy(update={"cursor": c})) == ("2017-11-28T09:00:00.000000Z", "urn:a")
    # another page size keeps the cursor valid; other filters do not
    assert decode_cursor(StoryQuery(countries=["KG"], limit=50, cursor=c)) is not None
    with pytest.raises(InvalidCursorError):
        decode_cursor(StoryQuery(countries=["RU"], cursor=c))
    rq = StoryQuery(text="uranium")
    rc = encode_cursor(rq, -1.25, "urn:b")
    assert decode_cursor(rq.model_copy(update={"cursor": rc})) == (-1.25, "urn:b")
    for bad in ("", "%%%", "bm90IGpzb24", encode_cursor(q, 3.0, "urn:a")):
        with pytest.raises(InvalidCursorError):
            decode_cursor(q.model_copy(update={"cursor": bad or "x"}))
    assert decode_cursor(q) is None


def test_sqlite_path() -> None:
    assert str(sqlite_path("sqlite:///abs/path.sqlite3")) == "/abs/path.sqlite3"
    assert str(sqlite_path("sqlite:////abs/path.sqlite3")) == "/abs/path.sqlite3"
    with pytest.raises(ValueError):
        sqlite_path("sqlite://")
    with pytest.raises(ValueError):
        sqlite_path("postgresql://x")


queries = st.builds(
    StoryQuery,
    countries=st.lists(st.sampled_from(["KG", "RU", "DE"]), max_size=3),
    focus_only=st.booleans(),
    blocs=st.lists(st.sampled_from(["EAEU", "EU"]), max_size=2),
    agencies=st.lists(st.sampled_from(["TCA", "DPA"]), max_size=2),
    verdicts=st.lists(st.sampled_from(["new", "update"]), max_size=2),
    cluster=st.none() | st.just("c1"),
    since=st.none() | st.just(datetime(2017, 1, 1, tzinfo=UTC)),
    until=st.none() | st.just(datetime(2018, 1, 1, tzinfo=UTC)),
    text=st.none() | st.sampled_from(["uranium", '"a b" c', "!!"]),
    include_withdrawn=st.booleans(),
    limit=st.integers(1, 500),
)


@settings(deadline=None)
@given(queries, st.booleans())
def test_sql_placeholders_match_parameters(q: StoryQuery, paged: bool) -> None:
    if paged:
        key = -0.5 if q.mode == "rank" else "2017-11-28T09:00:00.000000Z"
        q = q.model_copy(update={"cursor": encode_cursor(q, key, "urn:x")})
    sql, params = story_query_sql(q, SQLITE)
    assert sql.count("?") == len(params)
    assert params[-1] == q.limit + 1
    sql, params = story_query_sql(q, PG)
    assert "?" not in sql
    numbers = {int(n) for n in re.findall(r"\$(\d+)", sql)}
    assert numbers == set(range(1, len(params) + 1))


def _tables(sql: str) -> set[str]:
    return set(re.findall(r"CREATE TABLE (\w+)", sql))


def test_both_backends_have_the_same_migrations_and_tables() -> None:
    lite, pg = migrations("sqlite"), migrations("postgres")
    assert [m.version for m in lite] == list(range(1, len(lite) + 1))
    assert [(m.version, m.name) for m in lite] == [(m.version, m.name) for m in pg]
    lite_tables = set().union(*(_tables(m.sql) for m in lite))
    assert lite_tables == set().union(*(_tables(m.sql) for m in pg))
    assert lite_tables >= {"stories", "story_versions", "story_countries", "story_blocs", "duplicates",
                           "rejections", "agency_keys"}  # fmt: skip
