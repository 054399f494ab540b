"""PostgreSQL backend (asyncpg): tsvector + GIN full-text search with ts_rank, a connection pool.

Connection failures (server down, restarting, refusing connections) surface as ``StoreUnavailableError``; the pool
reconnects by itself on the next call once the server is back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from pipeline.sinks.store.interface import AgencyKeyExistsError, StoreDataError, StoreUnavailableError
from pipeline.sinks.store.migrations import migrations
from pipeline.sinks.store.query import (
    AgencyKey,
    ClusterMember,
    StoryPage,
    StoryQuery,
    StoryWithHistory,
    WriteResult,
    encode_cursor,
    search_text,
    ts_text,
)
from pipeline.sinks.store.sql import Dialect, story_query_sql
from pipeline.sinks.store.writer import (
    CurrentState,
    agency_key_from_row,
    apply_batch,
    rejection_filter,
    rejection_key,
    released,
    under_embargo,
)
from schemas import DuplicateRecord, EnrichedStory, Rejection

DIALECT = Dialect("postgres", lambda dt: dt)
MIGRATION_LOCK = 0x77697265  # pg_advisory_xact_lock key serialising concurrent migrators
POOL_MAX = 4
CONNECT_TIMEOUT = 10.0
CLOSE_TIMEOUT = 10.0

_DOWN = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
)


def _unavailable(exc: BaseException) -> bool:
    if isinstance(exc, _DOWN):
        return True
    return isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc)


#: Errors caused by the values written (SQLSTATE classes 22 data exception, 23 integrity constraint, 54 program
#: limit exceeded such as an index row over 2704 bytes; values asyncpg cannot encode): the data's fault.
_DATA = (
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.ProgramLimitExceededError,
    OverflowError,
    UnicodeEncodeError,
)


@asynccontextmanager
async def _errors() -> AsyncIterator[None]:
    try:
        yield
    except StoreDataError:
        raise
    except Exception as exc:
        if _unavailable(exc):
            raise StoreUnavailableError(f"{type(exc).__name__}: {exc}") from exc
        if isinstance(exc, _DATA):
            raise StoreDataError(f"{type(exc).__name__}: {exc}") from exc
        raise


async def _close(conn: asyncpg.Connection) -> None:
    """Close a connection, or drop it when the server does not answer (or the close is cancelled)."""
    try:
        await conn.close(timeout=CLOSE_TIMEOUT)
    except (TimeoutError, *_DOWN):
        conn.terminate()
    except BaseException:
        conn.terminate()
        raise


def _json(doc: bytes) -> str:
    return doc.decode("utf-8")


def _t(text: str | None) -> str | None:
    """Text for a search/filter column: PostgreSQL text cannot hold NUL (the stored document keeps it)."""
    return None if text is None else text.replace("\x00", "")


async def _migrate(conn: asyncpg.Connection) -> list[int]:
    done: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)"
        )
        applied = {r[0] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for mig in migrations("postgres"):
            if mig.version in applied:
                continue
            await conn.execute(mig.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                mig.version,
                mig.name,
                datetime.now(UTC),
            )
            done.append(mig.version)
    return done


_STORY_COLS = (
    "uri, version, content_is_kill, kill_version, withdrawn_at, agency, headline, body_text, language, urgency, "
    "focus_country, verdict, cluster_id, versioncreated, received_at, doc, embargoed_until, embargo_released"
)
_STORY_TYPES = (
    "text[], int[], bool[], int[], timestamptz[], text[], text[], text[], text[], int[], text[], text[], text[], "
    "timestamptz[], timestamptz[], text[], timestamptz[], bool[]"
)
_UPSERT_STORIES = (
    f"INSERT INTO stories ({_STORY_COLS}, updated_at) "
    "SELECT t.uri, t.version, t.content_is_kill, t.kill_version, t.withdrawn_at, t.agency, t.headline, "
    "t.body_text, t.language, t.urgency, t.focus_country, t.verdict, t.cluster_id, t.versioncreated, "
    "t.received_at, t.doc, t.embargoed_until, t.embargo_released, $19 FROM unnest("
    + ", ".join(f"${i + 1}::{typ.strip()}" for i, typ in enumerate(_STORY_TYPES.split(",")))
    + f") AS t({_STORY_COLS}) "
    "ON CONFLICT (uri) DO UPDATE SET version = excluded.version, content_is_kill = excluded.content_is_kill, "
    "kill_version = excluded.kill_version, withdrawn_at = excluded.withdrawn_at, agency = excluded.agency, "
    "headline = excluded.headline, body_text = excluded.body_text, language = excluded.language, "
    "urgency = excluded.urgency, focus_country = excluded.focus_country, verdict = excluded.verdict, "
    "cluster_id = excluded.cluster_id, versioncreated = excluded.versioncreated, "
    "received_at = excluded.received_at, updated_at = excluded.updated_at, doc = excluded.doc, "
    "embargoed_until = excluded.embargoed_until, embargo_released = excluded.embargo_released"
)


class _PgTx:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.now = datetime.now(UTC)

    async def insert_versions(self, rows: Sequence[tuple[EnrichedStory, bytes, bool]]) -> set[tuple[str, int]]:
        cols: list[list[Any]] = [[] for _ in range(9)]
        for s, doc, kill in rows:
            for col, val in zip(
                cols,
                (s.uri, s.version, kill, s.dedupe.verdict, s.dedupe.cluster_id, _t(s.submission_id),
                 s.content_hash, s.versioncreated, _json(doc)),
                strict=True,
            ):  # fmt: skip
                col.append(val)
        inserted = await self.conn.fetch(
            "INSERT INTO story_versions (uri, version, is_kill, verdict, cluster_id, submission_id, content_hash, "
            "versioncreated, stored_at, doc) SELECT t.uri, t.version, t.is_kill, t.verdict, t.cluster_id, "
            "t.submission_id, t.content_hash, t.versioncreated, $10, t.doc FROM unnest($1::text[], "
            "$2::int[], $3::bool[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::text[]) "
            "AS t(uri, version, is_kill, verdict, cluster_id, submission_id, content_hash, versioncreated, doc) "
            "ON CONFLICT DO NOTHING RETURNING uri, version",
            *cols,
            self.now,
        )
        return {(r[0], r[1]) for r in inserted}

    async def get_current(self, uris: Sequence[str]) -> dict[str, CurrentState]:
        rows = await self.conn.fetch(
            "SELECT uri, version, content_is_kill, kill_version, withdrawn_at, agency FROM stories "
            "WHERE uri = ANY($1::text[])",
            list(uris),
        )
        return {r[0]: CurrentState(r[1], r[2], r[3], r[4], r[5]) for r in rows}

    async def put_current(self, rows: Sequence[tuple[EnrichedStory, bytes, CurrentState]]) -> None:
        if not rows:
            return
        uris = [s.uri for s, _, _ in rows]
        story_rows = [
            (
                s.uri, st.version, st.content_is_kill, st.kill_version, st.withdrawn_at, _t(s.agency),
                *map(_t, search_text(s)), _t(s.language), s.urgency, s.focus_country, s.dedupe.verdict,
                s.dedupe.cluster_id,
                s.versioncreated, s.received_at, _json(doc), s.embargoed, not under_embargo(s, self.now),
            )
            for s, doc, st in rows
        ]  # fmt: skip
        await self.conn.execute(_UPSERT_STORIES, *map(list, zip(*story_rows, strict=True)), self.now)
        ids = "(SELECT id FROM stories WHERE uri = ANY($1::text[]))"
        await self.conn.execute(f"DELETE FROM story_countries WHERE story_id IN {ids}", uris)
        await self.conn.execute(f"DELETE FROM story_blocs WHERE story_id IN {ids}", uris)
        countries = [(s.uri, c.code, c.code == s.focus_country, c.mentions, c.score) for s, _, _ in rows
                     for c in s.countries]  # fmt: skip
        if countries:
            await self.conn.execute(
                "INSERT INTO story_countries (story_id, code, is_focus, mentions, score) "
                "SELECT s.id, t.code, t.is_focus, t.mentions, t.score FROM unnest($1::text[], $2::text[], "
                "$3::bool[], $4::int[], $5::real[]) AS t(uri, code, is_focus, mentions, score) "
                "JOIN stories s ON s.uri = t.uri ON CONFLICT DO NOTHING",
                *map(list, zip(*countries, strict=True)),
            )
        blocs = [(s.uri, b.code, b.explicit) for s, _, _ in rows for b in s.blocs]
        if blocs:
            await self.conn.execute(
                "INSERT INTO story_blocs (story_id, code, explicit) SELECT s.id, t.code, t.explicit "
                "FROM unnest($1::text[], $2::text[], $3::bool[]) AS t(uri, code, explicit) "
                "JOIN stories s ON s.uri = t.uri ON CONFLICT DO NOTHING",
                *map(list, zip(*blocs, strict=True)),
            )

    async def put_kill(self, rows: Sequence[tuple[str, CurrentState]]) -> None:
        if rows:
            await self.conn.executemany(
                "UPDATE stories SET kill_version = $1, withdrawn_at = $2, updated_at = $3 WHERE uri = $4",
                [(st.kill_version, st.withdrawn_at, self.now, uri) for uri, st in rows],
            )


class PostgresStore:
    """The production store. Open with ``await PostgresStore.open("postgresql://user:pw@host:port/db")``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, url: str) -> PostgresStore:
        async with _errors():
            await cls.upgrade(url)
            pool = asyncpg.create_pool(url, min_size=1, max_size=POOL_MAX, timeout=CONNECT_TIMEOUT)
            try:
                await pool
            except BaseException:
                pool.terminate()  # its connections opened so far; nothing else is left running
                raise
        return cls(pool)

    @classmethod
    async def upgrade(cls, url: str) -> list[int]:
        async with _errors():
            conn = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT)
            try:
                return await _migrate(conn)
            finally:
                await _close(conn)

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self._pool.close(), timeout=CLOSE_TIMEOUT)
        except (TimeoutError, *_DOWN):
            self._pool.terminate()
        except BaseException:
            self._pool.terminate()
            raise

    @asynccontextmanager
    async def _conn(self) -> AsyncIterator[asyncpg.Connection]:
        async with _errors(), self._pool.acquire(timeout=CONNECT_TIMEOUT) as conn:
            yield conn

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._conn() as conn, conn.transaction():
            yield conn

    # --- writes -----------------------------------------------------------------------------------------------

    async def write_batch(self, stories: Sequence[EnrichedStory]) -> WriteResult:
        if not stories:
            return WriteResult()
        async with self._write() as conn:
            return await apply_batch(_PgTx(conn), stories)

    async def write_rejections(self, rejections: Sequence[Rejection]) -> None:
        if not rejections:
            return
        rows = [
            (
                _t(rejection_key(r)), r.stage, r.reason, _t(r.submission_id), _t(r.agency), r.rejected_at,
                orjson.dumps(r.model_dump(mode="json")).decode(),
            )
            for r in rejections
        ]  # fmt: skip
        async with self._write() as conn:
            await conn.executemany(
                "INSERT INTO rejections (rejection_key, stage, reason, submission_id, agency, rejected_at, doc) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                rows,
            )

    async def write_duplicates(self, records: Sequence[DuplicateRecord]) -> None:
        if not records:
            return
        rows = [
            (
                d.uri, d.version, _t(d.submission_id), _t(d.agency), _t(d.headline), d.verdict, d.duplicate_of,
                d.cluster_id,
                d.similarity, d.detected_at, orjson.dumps(d.model_dump(mode="json")).decode(),
            )
            for d in records
        ]  # fmt: skip
        async with self._write() as conn:
            await conn.executemany(
                "INSERT INTO duplicates (uri, version, submission_id, agency, headline, verdict, duplicate_of, "
                "cluster_id, similarity, detected_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                "ON CONFLICT DO NOTHING",
                rows,
            )

    # --- reads ------------------------------------------------------------------------------------------------

    async def query(self, q: StoryQuery) -> StoryPage:
        sql, params = story_query_sql(q, DIALECT)
        async with self._conn() as conn:
            rows = await conn.fetch(sql, *params)
        items = [EnrichedStory.model_validate_json(r[0]) for r in rows[: q.limit]]
        nxt = None
        if len(rows) > q.limit:
            last = rows[q.limit - 1]
            key = last[2]
            nxt = encode_cursor(q, ts_text(key) if isinstance(key, datetime) else float(key), last[1])
        return StoryPage(items=items, next_cursor=nxt)

    async def get_story(self, uri: str) -> StoryWithHistory | None:
        async with self._conn() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            cur = await conn.fetchrow(
                "SELECT doc, kill_version IS NOT NULL AND kill_version >= version, withdrawn_at "
                "FROM stories WHERE uri = $1",
                uri,
            )
            versions = await conn.fetch("SELECT doc FROM story_versions WHERE uri = $1 ORDER BY version", uri)
        if cur is None:
            return None
        return released(StoryWithHistory(
            story=EnrichedStory.model_validate_json(cur[0]),
            withdrawn=bool(cur[1]),
            withdrawn_at=cur[2] if cur[1] else None,
            versions=[EnrichedStory.model_validate_json(v[0]) for v in versions],
        ))

    async def get_cluster(self, cluster_id: str) -> list[ClusterMember]:
        async with self._conn() as conn:
            stories = await conn.fetch(
                "SELECT doc, kill_version IS NOT NULL AND kill_version >= version FROM stories WHERE cluster_id = $1",
                cluster_id,
            )
            dups = await conn.fetch("SELECT doc FROM duplicates WHERE cluster_id = $1", cluster_id)
        now = datetime.now(UTC)
        members = [ClusterMember.of_story(s, bool(r[1])) for r in stories
                   if not under_embargo(s := EnrichedStory.model_validate_json(r[0]), now)]
        members += [ClusterMember.of_duplicate(DuplicateRecord.model_validate_json(r[0])) for r in dups]
        members.sort(key=lambda m: (m.at, m.kind, m.uri, m.version))
        return members

    async def due_embargoes(self, now: datetime, limit: int = 500) -> list[EnrichedStory]:
        async with self._conn() as conn:
            rows = await conn.fetch(
                "SELECT doc FROM stories WHERE NOT embargo_released AND embargoed_until <= $1 "
                "ORDER BY embargoed_until, uri LIMIT $2",
                now,
                limit,
            )
        return [EnrichedStory.model_validate_json(r[0]) for r in rows]

    async def mark_released(self, keys: Sequence[tuple[str, int]]) -> None:
        if keys:
            async with self._write() as conn:
                await conn.executemany(
                    "UPDATE stories SET embargo_released = true WHERE uri = $1 AND version = $2", list(keys)
                )

    async def count_stories(self) -> int:
        async with self._conn() as conn:
            return int(await conn.fetchval("SELECT count(*) FROM stories"))

    async def list_rejections(
        self, *, stage: str | None = None, reason: str | None = None, agency: str | None = None, limit: int = 100
    ) -> list[Rejection]:
        where, params = rejection_filter(stage, reason, agency, pg=True)
        async with self._conn() as conn:
            rows = await conn.fetch(
                f"SELECT doc FROM rejections{where} ORDER BY rejected_at DESC, rejection_key LIMIT ${len(params) + 1}",
                *params,
                limit,
            )
        return [Rejection.model_validate_json(r[0]) for r in rows]

    # --- agency keys ------------------------------------------------------------------------------------------

    async def add_agency_key(self, agency: str, key_id: str, key_hash: str) -> None:
        async with self._write() as conn:
            status = await conn.execute(
                "INSERT INTO agency_keys (key_id, agency, key_hash, created_at) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT DO NOTHING",
                key_id,
                agency,
                key_hash,
                datetime.now(UTC),
            )
            if status == "INSERT 0 1":
                return
            row = await conn.fetchrow("SELECT agency, key_hash FROM agency_keys WHERE key_id = $1", key_id)
        if row is not None and (row[0], row[1]) != (agency, key_hash):
            raise AgencyKeyExistsError(f"key id {key_id!r} is already in use")

    async def find_agency_key(self, key_id: str) -> AgencyKey | None:
        async with self._conn() as conn:
            row = await conn.fetchrow(
                "SELECT agency, key_id, key_hash, created_at, revoked_at FROM agency_keys WHERE key_id = $1",
                key_id,
            )
        return None if row is None else agency_key_from_row(tuple(row))

    async def revoke_agency(self, agency: str) -> int:
        async with self._write() as conn:
            status = await conn.execute(
                "UPDATE agency_keys SET revoked_at = $1 WHERE agency = $2 AND revoked_at IS NULL",
                datetime.now(UTC),
                agency,
            )
        return int(status.rsplit(" ", 1)[-1])

    async def list_agencies(self) -> list[AgencyKey]:
        async with self._conn() as conn:
            rows = await conn.fetch(
                "SELECT agency, key_id, key_hash, created_at, revoked_at FROM agency_keys ORDER BY agency, key_id"
            )
        return [agency_key_from_row(tuple(r)) for r in rows]
