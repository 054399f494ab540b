"""Write rules shared by both backends (which version is current, when a story is withdrawn, what to count)
and the row helpers both use."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson

from pipeline.sinks.store.query import AgencyKey, WriteResult, is_kill, parse_ts_text
from schemas import EnrichedStory, Rejection


@dataclass(frozen=True, slots=True)
class CurrentState:
    """The stories row of a uri, as far as the write rules care."""

    version: int  # version of the stored content
    content_is_kill: bool  # True only while the uri has nothing but kill notices
    kill_version: int | None  # highest kill version received
    withdrawn_at: datetime | None  # versioncreated of that kill

    @property
    def withdrawn(self) -> bool:
        return self.kill_version is not None and self.kill_version >= self.version


class WriteTx(Protocol):
    """The statements one backend runs inside the write transaction."""

    async def insert_version(self, story: EnrichedStory, doc: bytes, kill: bool) -> bool:
        """Add to the history; False when (uri, version) is already there."""
        ...

    async def get_current(self, uri: str) -> CurrentState | None: ...

    async def put_current(self, story: EnrichedStory, doc: bytes, state: CurrentState) -> None:
        """Insert or replace the current row of ``story.uri`` (content, tags, search index) with ``story``."""
        ...

    async def put_kill(self, uri: str, state: CurrentState) -> None:
        """Update only the kill fields of an existing current row."""
        ...


def encode_doc(story: EnrichedStory) -> bytes:
    return orjson.dumps(story.model_dump(mode="json"))


async def apply_batch(tx: WriteTx, stories: Sequence[EnrichedStory]) -> WriteResult:
    """Apply a batch inside an open transaction. The result does not depend on arrival order."""
    res = WriteResult()
    for story in stories:
        kill = is_kill(story)
        doc = encode_doc(story)
        if not await tx.insert_version(story, doc, kill):
            res.ignored += 1
            continue
        res.inserted += 1
        cur = await tx.get_current(story.uri)
        if kill:
            if cur is None:
                # Nothing else known yet: the kill notice stands in as content until a real version arrives.
                new = CurrentState(story.version, True, story.version, story.versioncreated)
                await tx.put_current(story, doc, new)
                res.withdrawn += 1
                continue
            if cur.kill_version is not None and cur.kill_version >= story.version:
                continue  # an older kill than one already applied
            new = CurrentState(cur.version, cur.content_is_kill, story.version, story.versioncreated)
            if cur.content_is_kill and story.version > cur.version:
                await tx.put_current(story, doc, CurrentState(story.version, True, story.version, new.withdrawn_at))
            else:
                await tx.put_kill(story.uri, new)
            if new.withdrawn and not cur.withdrawn:
                res.withdrawn += 1
            continue
        if cur is None:
            await tx.put_current(story, doc, CurrentState(story.version, False, None, None))
            continue
        if cur.content_is_kill or story.version > cur.version:
            new = CurrentState(story.version, False, cur.kill_version, cur.withdrawn_at)
            await tx.put_current(story, doc, new)
            res.replaced += 1
            if new.withdrawn and not cur.withdrawn:
                res.withdrawn += 1
        else:
            res.superseded += 1
    return res


def rejection_key(rejection: Rejection) -> str:
    """Idempotency key of a rejection: its submission id, or a digest of the original bytes without one."""
    if rejection.submission_id:
        return rejection.submission_id
    return "sha256:" + hashlib.sha256(rejection.original).hexdigest()


def agency_key_from_row(row: Sequence[Any]) -> AgencyKey:
    """(agency, key_id, key_hash, created_at, revoked_at) with times as datetimes or fixed-width text."""
    agency, key_id, key_hash, created, revoked = row
    return AgencyKey(
        agency=agency,
        key_id=key_id,
        key_hash=key_hash,
        created_at=parse_ts_text(created) if isinstance(created, str) else created,
        revoked_at=(parse_ts_text(revoked) if isinstance(revoked, str) else revoked) if revoked else None,
    )


def rejection_filter(stage: str | None, reason: str | None, pg: bool = False) -> tuple[str, list[Any]]:
    """WHERE clause and parameters for ``list_rejections``."""
    clauses: list[str] = []
    params: list[Any] = []
    for col, val in (("stage", stage), ("reason", reason)):
        if val is not None:
            params.append(val)
            clauses.append(f"{col} = " + (f"${len(params)}" if pg else "?"))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
