"""One story-query builder for both SQL dialects, so both backends filter, rank and page the same way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pipeline.sinks.store.query import StoryQuery, decode_cursor, fts5_match, parse_ts_text

#: Column weights: headline matches count 2.5 times body matches (PostgreSQL's default A/B weights 1.0/0.4).
SQLITE_RANK = "bm25(stories_fts, 2.5, 1.0)"


@dataclass(frozen=True, slots=True)
class Dialect:
    name: Literal["sqlite", "postgres"]
    #: Python datetime → the value bound for a time column.
    ts: Callable[[datetime], Any]


class Params:
    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.values: list[Any] = []

    def __call__(self, value: Any, cast: str = "") -> str:
        self.values.append(value)
        if self.dialect.name == "sqlite":
            return "?"
        return f"${len(self.values)}{cast}"

    def many(self, values: list[Any]) -> str:
        return ", ".join(self(v) for v in values)


def story_query_sql(q: StoryQuery, dialect: Dialect) -> tuple[str, list[Any]]:
    """SELECT doc, uri, sortkey ... for one page (limit + 1 rows, to know whether a next page exists).

    Order: by relevance (sortkey ascending: bm25, or minus ts_rank) then uri when there is a text search;
    otherwise newest versioncreated first, then uri descending. Pages continue after the cursor's (sortkey, uri).
    """
    p = Params(dialect)
    where: list[str] = []
    terms = q.search_terms
    if terms:
        if dialect.name == "sqlite":
            source = (
                f"(SELECT rowid AS fid, {SQLITE_RANK} AS rank FROM stories_fts "
                f"WHERE stories_fts MATCH {p(fts5_match(terms))}) f JOIN stories s ON s.id = f.fid"
            )
            sortkey = "f.rank"
        else:
            tsq = " && ".join(f"phraseto_tsquery('simple', {p(t, '::text')})" for t in terms)
            source = f"stories s CROSS JOIN (SELECT {tsq} AS query) f"
            where.append("s.search @@ f.query")
            sortkey = "-ts_rank(s.search, f.query)"
    else:
        source = "stories s"
        sortkey = "s.versioncreated"

    if q.countries:
        if q.focus_only:
            where.append(f"s.focus_country IN ({p.many(q.countries)})")
        else:
            where.append(
                f"(s.focus_country IN ({p.many(q.countries)}) OR EXISTS (SELECT 1 FROM story_countries c "
                f"WHERE c.story_id = s.id AND c.code IN ({p.many(q.countries)})))"
            )
    if q.blocs:
        where.append(f"EXISTS (SELECT 1 FROM story_blocs b WHERE b.story_id = s.id AND b.code IN ({p.many(q.blocs)}))")
    if q.agencies:
        where.append(f"s.agency IN ({p.many(q.agencies)})")
    if q.verdicts:
        where.append(f"s.verdict IN ({p.many(list(q.verdicts))})")
    if q.cluster is not None:
        where.append(f"s.cluster_id = {p(q.cluster)}")
    if q.since is not None:
        where.append(f"s.versioncreated >= {p(dialect.ts(q.since))}")
    if q.until is not None:
        where.append(f"s.versioncreated < {p(dialect.ts(q.until))}")
    if not q.include_withdrawn:
        where.append("(s.kill_version IS NULL OR s.kill_version < s.version)")
    # Embargoed stories are left out until their embargo time.
    where.append(f"(s.embargoed_until IS NULL OR s.embargoed_until <= {p(dialect.ts(q.at or datetime.now(UTC)))})")

    inner = f"SELECT s.doc AS doc, s.uri AS uri, {sortkey} AS sortkey FROM {source}"
    if where:
        inner += " WHERE " + " AND ".join(where)

    outer_where = ""
    after = decode_cursor(q)
    if terms:
        order = "t.sortkey ASC, t.uri ASC"
        if after is not None:
            k = float(after[0])
            outer_where = (
                f" WHERE (t.sortkey > {p(k, '::real')} OR (t.sortkey = {p(k, '::real')} "
                f"AND t.uri > {p(after[1], '::text')}))"
            )
    else:
        order = "t.sortkey DESC, t.uri DESC"
        if after is not None:
            k_ts = dialect.ts(parse_ts_text(str(after[0])))
            outer_where = (
                f" WHERE (t.sortkey < {p(k_ts)} OR (t.sortkey = {p(k_ts)} AND t.uri < {p(after[1], '::text')}))"
            )
    sql = f"SELECT t.doc, t.uri, t.sortkey FROM ({inner}) t{outer_where} ORDER BY {order} LIMIT {p(q.limit + 1)}"
    return sql, p.values
