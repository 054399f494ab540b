"""The store interface both backends implement, and its errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from pipeline.sinks.store.query import (
    AgencyKey,
    ClusterMember,
    StoryPage,
    StoryQuery,
    StoryWithHistory,
    WriteResult,
)
from schemas import DuplicateRecord, EnrichedStory, ReasonCode, Rejection


class StoreError(Exception):
    """Base of the store's own errors."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached or is busy. Nothing was written: retry the same call later."""


class StoreDataError(StoreError):
    """The database refused the data itself (a value it cannot hold: NUL in text, an index row too large, a number
    out of range, a foreign agency's uri). The transaction was rolled back; the same data fails the same way, so
    retrying is useless: write the stories apart to find the one at fault. ``reason`` is the rejection reason code
    for the story at fault."""

    def __init__(self, message: str, reason: ReasonCode = "unstorable") -> None:
        super().__init__(message)
        self.reason: ReasonCode = reason


class AgencyKeyExistsError(StoreError):
    """``add_agency_key`` with a key id that is already stored for another agency or hash."""


@runtime_checkable
class Store(Protocol):
    """Story storage. Every write is one transaction and idempotent, so a redelivered batch changes nothing."""

    async def write_batch(self, stories: Sequence[EnrichedStory]) -> WriteResult:
        """Store stories in one transaction, idempotent by (uri, version).

        Every version goes to the history; the newest non-kill version is the current story (an older version
        never replaces a newer one); a kill marks the current story withdrawn.
        """
        ...

    async def write_rejections(self, rejections: Sequence[Rejection]) -> None:
        """Queryable copy of the DLQ, idempotent by (submission_id, stage, reason)."""
        ...

    async def write_duplicates(self, records: Sequence[DuplicateRecord]) -> None:
        """Copies dedupe kept back, idempotent by (uri, version, submission_id)."""
        ...

    async def query(self, q: StoryQuery) -> StoryPage: ...

    async def get_story(self, uri: str) -> StoryWithHistory | None:
        """The story and its versions; None while it is under embargo (versions under embargo are left out)."""
        ...

    async def due_embargoes(self, now: datetime, limit: int = 500) -> list[EnrichedStory]:
        """Current stories whose embargo ended by ``now`` and that are not yet released (notified)."""
        ...

    async def mark_released(self, keys: Sequence[tuple[str, int]]) -> None:
        """Mark (uri, version) released, unless a newer version replaced it meanwhile."""
        ...

    async def get_cluster(self, cluster_id: str) -> list[ClusterMember]:
        """Stories and kept-back duplicates of a cluster, oldest first; [] for an unknown cluster."""
        ...

    async def count_stories(self) -> int:
        """Number of stored uris (current stories, withdrawn ones included)."""
        ...

    async def list_rejections(
        self, *, stage: str | None = None, reason: str | None = None, agency: str | None = None, limit: int = 100
    ) -> list[Rejection]:
        """Newest rejections first; only those of ``agency`` when given."""
        ...

    async def add_agency_key(self, agency: str, key_id: str, key_hash: str) -> None:
        """Store an agency API key (its hash only). Repeating the same call is a no-op."""
        ...

    async def find_agency_key(self, key_id: str) -> AgencyKey | None: ...

    async def revoke_agency(self, agency: str) -> int:
        """Revoke every active key of the agency; returns how many were revoked."""
        ...

    async def list_agencies(self) -> list[AgencyKey]:
        """Every key, revoked ones included, by agency then key id."""
        ...

    async def close(self) -> None: ...


async def open_store(url: str) -> Store:
    """Open ``sqlite:///abs/path.sqlite3`` or ``postgresql://user:pw@host:port/db`` and run its migrations."""
    if url.startswith("sqlite://"):
        from pipeline.sinks.store.sqlite import SqliteStore

        return await SqliteStore.open(url)
    if url.startswith(("postgresql://", "postgres://")):
        from pipeline.sinks.store.postgres import PostgresStore

        return await PostgresStore.open(url)
    raise ValueError(f"unsupported store URL {url!r}: expected sqlite:///path or postgresql://...")


async def upgrade(url: str) -> list[int]:
    """Apply pending migrations (``wirefeed db upgrade``). Returns the versions applied now."""
    if url.startswith("sqlite://"):
        from pipeline.sinks.store.sqlite import SqliteStore

        return await SqliteStore.upgrade(url)
    if url.startswith(("postgresql://", "postgres://")):
        from pipeline.sinks.store.postgres import PostgresStore

        return await PostgresStore.upgrade(url)
    raise ValueError(f"unsupported store URL {url!r}: expected sqlite:///path or postgresql://...")
