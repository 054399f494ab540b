"""SQLite backend (aiosqlite): one file in WAL mode, FTS5 with bm25 ranking.

One connection writes and one reads (WAL lets readers run beside the writer); each is used by one operation at a
time. Writes run in ``BEGIN IMMEDIATE`` transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
import orjson

from pipeline.sinks.store.interface import AgencyKeyExistsError, StoreDataError, StoreUnavailableError
from pipeline.sinks.store.migrations import Migration, migrations
from pipeline.sinks.store.query import (
    AgencyKey,
    ClusterMember,
    StoryPage,
    StoryQuery,
    StoryWithHistory,
    WriteResult,
    encode_cursor,
    parse_ts_text,
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

DIALECT = Dialect("sqlite", ts_text)
BUSY_TIMEOUT_MS = 5000
#: How long opening a store keeps retrying while other openers hold the database ("database is locked").
OPEN_TIMEOUT_S = 60.0
T = TypeVar("T")


def sqlite_path(url: str) -> Path:
    """``sqlite:///abs/path`` or ``sqlite:////abs/path`` → the absolute path."""
    if not url.startswith("sqlite://"):
        raise ValueError(f"not a sqlite URL: {url!r}")
    rest = url.removeprefix("sqlite://").split("?", 1)[0]
    if not rest.strip("/"):
        raise ValueError(f"sqlite URL without a path: {url!r}")
    return Path("/" + rest.lstrip("/"))


def _now() -> str:
    return ts_text(datetime.now(UTC))


def _unavailable(exc: sqlite3.Error) -> bool:
    msg = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and any(
        w in msg for w in ("locked", "busy", "disk i/o", "unable to open")
    )


def _data_error(exc: BaseException) -> bool:
    """A value SQLite cannot take (too big, out of range, not encodable, a constraint): the data's fault."""
    if isinstance(exc, sqlite3.DataError | sqlite3.IntegrityError | OverflowError | UnicodeEncodeError):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "too big" in str(exc).lower()


@asynccontextmanager
async def _errors() -> AsyncIterator[None]:
    try:
        yield
    except StoreDataError:
        raise
    except (sqlite3.Error, OverflowError, UnicodeEncodeError) as exc:
        if isinstance(exc, sqlite3.Error) and _unavailable(exc):
            raise StoreUnavailableError(str(exc)) from exc
        if _data_error(exc):
            raise StoreDataError(f"{type(exc).__name__}: {exc}") from exc
        raise


async def _retry_busy(step: Callable[[], Awaitable[T]]) -> T:
    """Run one opening step again while the database is locked by other openers, up to :data:`OPEN_TIMEOUT_S`.

    The busy timeout covers most waits, but SQLite answers "database is locked" at once, without waiting, where
    waiting could deadlock: a connection holding a read lock that needs the write lock (``PRAGMA journal_mode``
    when another connection is writing) gets SQLITE_BUSY immediately. Backing off and starting the step again is
    the documented remedy.
    """
    deadline = time.monotonic() + OPEN_TIMEOUT_S
    delay = 0.01
    while True:
        try:
            return await step()
        except sqlite3.OperationalError as exc:
            busy = any(w in str(exc).lower() for w in ("locked", "busy"))
            if not busy or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 0.5)


async def _pragma(conn: aiosqlite.Connection, pragma: str) -> str:
    async with conn.execute(f"PRAGMA {pragma}") as cur:
        row = await cur.fetchone()
    return str(row[0]) if row else ""


async def _wal(conn: aiosqlite.Connection) -> None:
    """Put the file in WAL mode (a persistent property of the file: usually an earlier opener did it)."""
    if (await _pragma(conn, "journal_mode")).lower() == "wal":
        return
    mode = await _pragma(conn, "journal_mode = WAL")
    if mode.lower() != "wal":
        raise sqlite3.OperationalError(f"database is locked (journal mode stayed {mode!r} instead of WAL)")


async def _close(conn: aiosqlite.Connection) -> None:
    """Close a connection; its thread ends even when closing fails or is cancelled (an aiosqlite thread is not a
    daemon: one left running keeps the process from exiting)."""
    try:
        await conn.close()
    except BaseException:
        conn.stop()
        raise


async def _discard(conn: aiosqlite.Connection) -> None:
    """Close a connection on a failure path, keeping the error being handled as the one raised."""
    with contextlib.suppress(Exception):
        await _close(conn)


async def _connect(path: Path) -> aiosqlite.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    # ``timeout`` is sqlite3's busy timeout, in force from the moment the file is opened, before any statement.
    conn = await aiosqlite.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        await _retry_busy(lambda: _wal(conn))
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        await _discard(conn)
        raise
    return conn


async def _migrate(conn: aiosqlite.Connection) -> list[int]:
    """Apply pending migrations, each exactly once however many processes open the file at the same time.

    Each migration is one ``BEGIN IMMEDIATE`` transaction (the database's single write lock serialises them) that
    records its version *first*: a concurrent opener that applied it in between makes that insert fail on the
    primary key before any of the migration's statements run, and the transaction is rolled back.
    """
    await _retry_busy(lambda: conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    ))
    done: list[int] = []
    for mig in migrations("sqlite"):
        if await _retry_busy(lambda mig=mig: _apply(conn, mig)):  # type: ignore[misc]
            done.append(mig.version)
    return done


async def _applied(conn: aiosqlite.Connection, version: int) -> bool:
    return bool(await conn.execute_fetchall("SELECT 1 FROM schema_migrations WHERE version = ?", (version,)))


async def _apply(conn: aiosqlite.Connection, mig: Migration) -> bool:
    """Apply one migration unless it is applied already; True when this call applied it."""
    if await _applied(conn, mig.version):
        return False
    script = (
        f"BEGIN IMMEDIATE;\nINSERT INTO schema_migrations (version, name, applied_at) "
        f"VALUES ({mig.version}, '{mig.name}', '{_now()}');\n{mig.sql}\n;COMMIT;"
    )
    try:
        await conn.executescript(script)
    except sqlite3.Error:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        if await _applied(conn, mig.version):  # another opener applied it first
            return False
        raise
    return True


_UPSERT_STORY = (
    "INSERT INTO stories (uri, version, content_is_kill, kill_version, withdrawn_at, agency, headline, language, "
    "urgency, focus_country, verdict, cluster_id, versioncreated, received_at, updated_at, doc, embargoed_until, "
    "embargo_released) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uri) DO UPDATE SET "
    "version = excluded.version, content_is_kill = excluded.content_is_kill, kill_version = excluded.kill_version, "
    "withdrawn_at = excluded.withdrawn_at, agency = excluded.agency, headline = excluded.headline, "
    "language = excluded.language, urgency = excluded.urgency, focus_country = excluded.focus_country, "
    "verdict = excluded.verdict, cluster_id = excluded.cluster_id, versioncreated = excluded.versioncreated, "
    "received_at = excluded.received_at, updated_at = excluded.updated_at, doc = excluded.doc, "
    "embargoed_until = excluded.embargoed_until, embargo_released = excluded.embargo_released"
)
_ID = "(SELECT id FROM stories WHERE uri = ?)"
CHUNK = 500  # uris per IN (...) list


class _SqliteTx:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self.at = datetime.now(UTC)
        self.now = ts_text(self.at)

    async def insert_versions(self, rows: Sequence[tuple[EnrichedStory, bytes, bool]]) -> set[tuple[str, int]]:
        uris = sorted({s.uri for s, _, _ in rows})
        known: set[tuple[str, int]] = set()
        for i in range(0, len(uris), CHUNK):
            part = uris[i : i + CHUNK]
            found = await self.conn.execute_fetchall(
                f"SELECT uri, version FROM story_versions WHERE uri IN ({', '.join('?' * len(part))})", part
            )
            known.update((u, v) for u, v in found)
        new = [(s, doc, kill) for s, doc, kill in rows if (s.uri, s.version) not in known]
        await self.conn.executemany(
            "INSERT INTO story_versions (uri, version, is_kill, verdict, cluster_id, submission_id, content_hash, "
            "versioncreated, stored_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    s.uri, s.version, int(kill), s.dedupe.verdict, s.dedupe.cluster_id, s.submission_id,
                    s.content_hash, ts_text(s.versioncreated), self.now, doc,
                )
                for s, doc, kill in new
            ],
        )  # fmt: skip
        return {(s.uri, s.version) for s, _, _ in new}

    async def get_current(self, uris: Sequence[str]) -> dict[str, CurrentState]:
        out: dict[str, CurrentState] = {}
        for i in range(0, len(uris), CHUNK):
            part = list(uris[i : i + CHUNK])
            rows = await self.conn.execute_fetchall(
                "SELECT uri, version, content_is_kill, kill_version, withdrawn_at, agency FROM stories "
                f"WHERE uri IN ({', '.join('?' * len(part))})",
                part,
            )
            for uri, v, cik, kv, wat, agency in rows:
                out[uri] = CurrentState(v, bool(cik), kv, parse_ts_text(wat) if wat else None, agency)
        return out

    async def put_current(self, rows: Sequence[tuple[EnrichedStory, bytes, CurrentState]]) -> None:
        if not rows:
            return
        uris = [(s.uri,) for s, _, _ in rows]
        await self.conn.executemany(f"DELETE FROM story_countries WHERE story_id = {_ID}", uris)
        await self.conn.executemany(f"DELETE FROM story_blocs WHERE story_id = {_ID}", uris)
        await self.conn.executemany(f"DELETE FROM stories_fts WHERE rowid = {_ID}", uris)
        await self.conn.executemany(
            _UPSERT_STORY,
            [
                (
                    s.uri, st.version, int(st.content_is_kill), st.kill_version,
                    ts_text(st.withdrawn_at) if st.withdrawn_at else None, s.agency, s.headline, s.language,
                    s.urgency, s.focus_country, s.dedupe.verdict, s.dedupe.cluster_id, ts_text(s.versioncreated),
                    ts_text(s.received_at), self.now, doc,
                    ts_text(s.embargoed) if s.embargoed else None, int(not under_embargo(s, self.at)),
                )
                for s, doc, st in rows
            ],
        )  # fmt: skip
        await self.conn.executemany(
            "INSERT OR IGNORE INTO story_countries (story_id, code, is_focus, mentions, score) "
            "SELECT id, ?, ?, ?, ? FROM stories WHERE uri = ?",
            [
                (c.code, int(c.code == s.focus_country), c.mentions, c.score, s.uri)
                for s, _, _ in rows
                for c in s.countries
            ],
        )
        await self.conn.executemany(
            "INSERT OR IGNORE INTO story_blocs (story_id, code, explicit) SELECT id, ?, ? FROM stories WHERE uri = ?",
            [(b.code, int(b.explicit), s.uri) for s, _, _ in rows for b in s.blocs],
        )
        await self.conn.executemany(
            "INSERT INTO stories_fts (rowid, headline, body) SELECT id, ?, ? FROM stories WHERE uri = ?",
            [(*search_text(s), s.uri) for s, _, _ in rows],
        )

    async def put_kill(self, rows: Sequence[tuple[str, CurrentState]]) -> None:
        await self.conn.executemany(
            "UPDATE stories SET kill_version = ?, withdrawn_at = ?, updated_at = ? WHERE uri = ?",
            [
                (st.kill_version, ts_text(st.withdrawn_at) if st.withdrawn_at else None, self.now, uri)
                for uri, st in rows
            ],
        )


class SqliteStore:
    """The embedded store. Open with ``await SqliteStore.open("sqlite:///abs/path.sqlite3")``."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._w = writer
        self._r = reader
        self._wlock = asyncio.Lock()
        self._rlock = asyncio.Lock()

    @classmethod
    async def open(cls, url: str) -> SqliteStore:
        path = sqlite_path(url)
        async with _errors():
            writer = await _connect(path)
            try:
                await _migrate(writer)
                reader = await _connect(path)
            except BaseException:
                await _discard(writer)
                raise
        return cls(path, writer, reader)

    @classmethod
    async def upgrade(cls, url: str) -> list[int]:
        async with _errors():
            conn = await _connect(sqlite_path(url))
            try:
                return await _migrate(conn)
            finally:
                await _close(conn)

    async def close(self) -> None:
        try:
            await _close(self._w)
        finally:
            await _close(self._r)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._wlock, _errors():
            await self._w.execute("BEGIN IMMEDIATE")
            try:
                yield self._w
            except BaseException:
                await self._w.execute("ROLLBACK")
                raise
            await self._w.execute("COMMIT")

    async def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self._rlock, _errors():
            return list(await self._r.execute_fetchall(sql, params))

    # --- writes -----------------------------------------------------------------------------------------------

    async def write_batch(self, stories: Sequence[EnrichedStory]) -> WriteResult:
        if not stories:
            return WriteResult()
        async with self._write() as conn:
            return await apply_batch(_SqliteTx(conn), stories)

    async def write_rejections(self, rejections: Sequence[Rejection]) -> None:
        if not rejections:
            return
        rows = [
            (
                rejection_key(r), r.stage, r.reason, r.submission_id, r.agency, ts_text(r.rejected_at),
                orjson.dumps(r.model_dump(mode="json")),
            )
            for r in rejections
        ]  # fmt: skip
        async with self._write() as conn:
            await conn.executemany(
                "INSERT INTO rejections (rejection_key, stage, reason, submission_id, agency, rejected_at, doc) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                rows,
            )

    async def write_duplicates(self, records: Sequence[DuplicateRecord]) -> None:
        if not records:
            return
        rows = [
            (
                d.uri, d.version, d.submission_id, d.agency, d.headline, d.verdict, d.duplicate_of, d.cluster_id,
                d.similarity, ts_text(d.detected_at), orjson.dumps(d.model_dump(mode="json")),
            )
            for d in records
        ]  # fmt: skip
        async with self._write() as conn:
            await conn.executemany(
                "INSERT INTO duplicates (uri, version, submission_id, agency, headline, verdict, duplicate_of, "
                "cluster_id, similarity, detected_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                rows,
            )

    # --- reads ------------------------------------------------------------------------------------------------

    async def query(self, q: StoryQuery) -> StoryPage:
        sql, params = story_query_sql(q, DIALECT)
        rows = await self._read(sql, params)
        items = [EnrichedStory.model_validate_json(r[0]) for r in rows[: q.limit]]
        nxt = None
        if len(rows) > q.limit:
            last = rows[q.limit - 1]
            nxt = encode_cursor(q, last[2], last[1])
        return StoryPage(items=items, next_cursor=nxt)

    async def get_story(self, uri: str) -> StoryWithHistory | None:
        async with self._rlock, _errors():
            await self._r.execute("BEGIN")
            try:
                cur = list(
                    await self._r.execute_fetchall(
                        "SELECT doc, kill_version IS NOT NULL AND kill_version >= version, withdrawn_at "
                        "FROM stories WHERE uri = ?",
                        (uri,),
                    )
                )
                versions = await self._r.execute_fetchall(
                    "SELECT doc FROM story_versions WHERE uri = ? ORDER BY version", (uri,)
                )
            finally:
                await self._r.execute("COMMIT")
        if not cur:
            return None
        doc, withdrawn, wat = cur[0]
        return released(StoryWithHistory(
            story=EnrichedStory.model_validate_json(doc),
            withdrawn=bool(withdrawn),
            withdrawn_at=parse_ts_text(wat) if withdrawn and wat else None,
            versions=[EnrichedStory.model_validate_json(v[0]) for v in versions],
        ))

    async def get_cluster(self, cluster_id: str) -> list[ClusterMember]:
        stories = await self._read(
            "SELECT doc, kill_version IS NOT NULL AND kill_version >= version FROM stories WHERE cluster_id = ?",
            (cluster_id,),
        )
        dups = await self._read("SELECT doc FROM duplicates WHERE cluster_id = ?", (cluster_id,))
        now = datetime.now(UTC)
        members = [ClusterMember.of_story(s, bool(w)) for d, w in stories
                   if not under_embargo(s := EnrichedStory.model_validate_json(d), now)]
        members += [ClusterMember.of_duplicate(DuplicateRecord.model_validate_json(d[0])) for d in dups]
        members.sort(key=lambda m: (m.at, m.kind, m.uri, m.version))
        return members

    async def due_embargoes(self, now: datetime, limit: int = 500) -> list[EnrichedStory]:
        rows = await self._read(
            "SELECT doc FROM stories WHERE embargo_released = 0 AND embargoed_until <= ? "
            "ORDER BY embargoed_until, uri LIMIT ?",
            (ts_text(now), limit),
        )
        return [EnrichedStory.model_validate_json(r[0]) for r in rows]

    async def mark_released(self, keys: Sequence[tuple[str, int]]) -> None:
        if keys:
            async with self._write() as conn:
                await conn.executemany(
                    "UPDATE stories SET embargo_released = 1 WHERE uri = ? AND version = ?", list(keys)
                )

    async def count_stories(self) -> int:
        rows = await self._read("SELECT count(*) FROM stories")
        return int(rows[0][0])

    async def list_rejections(
        self, *, stage: str | None = None, reason: str | None = None, agency: str | None = None, limit: int = 100
    ) -> list[Rejection]:
        where, params = rejection_filter(stage, reason, agency)
        rows = await self._read(
            f"SELECT doc FROM rejections{where} ORDER BY rejected_at DESC, rejection_key LIMIT ?",
            [*params, limit],
        )
        return [Rejection.model_validate_json(r[0]) for r in rows]

    # --- agency keys ------------------------------------------------------------------------------------------

    async def add_agency_key(self, agency: str, key_id: str, key_hash: str) -> None:
        async with self._write() as conn:
            cur = await conn.execute(
                "INSERT INTO agency_keys (key_id, agency, key_hash, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (key_id, agency, key_hash, _now()),
            )
            if cur.rowcount == 1:
                return
            rows = list(
                await conn.execute_fetchall("SELECT agency, key_hash FROM agency_keys WHERE key_id = ?", (key_id,))
            )
        if rows and tuple(rows[0]) != (agency, key_hash):
            raise AgencyKeyExistsError(f"key id {key_id!r} is already in use")

    async def find_agency_key(self, key_id: str) -> AgencyKey | None:
        rows = await self._read(
            "SELECT agency, key_id, key_hash, created_at, revoked_at FROM agency_keys WHERE key_id = ?", (key_id,)
        )
        return agency_key_from_row(rows[0]) if rows else None

    async def revoke_agency(self, agency: str) -> int:
        async with self._write() as conn:
            cur = await conn.execute(
                "UPDATE agency_keys SET revoked_at = ? WHERE agency = ? AND revoked_at IS NULL", (_now(), agency)
            )
            return cur.rowcount

    async def list_agencies(self) -> list[AgencyKey]:
        rows = await self._read(
            "SELECT agency, key_id, key_hash, created_at, revoked_at FROM agency_keys ORDER BY agency, key_id"
        )
        return [agency_key_from_row(r) for r in rows]
