"""Write rules shared by both backends (which version is current, when a story is withdrawn, what to count)
and the row helpers both use."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from pipeline.sinks.store.interface import StoreDataError
from pipeline.sinks.store.query import AgencyKey, StoryWithHistory, WriteResult, is_kill, parse_ts_text
from schemas import EnrichedStory, Rejection


@dataclass(frozen=True, slots=True)
class CurrentState:
    """The stories row of a uri, as far as the write rules care."""

    version: int  # version of the stored content
    content_is_kill: bool  # True only while the uri has nothing but kill notices
    kill_version: int | None  # highest kill version received
    withdrawn_at: datetime | None  # versioncreated of that kill
    agency: str = ""  # the agency that owns the uri

    @property
    def withdrawn(self) -> bool:
        return self.kill_version is not None and self.kill_version >= self.version


class WriteTx(Protocol):
    """The set-based statements one backend runs inside the write transaction."""

    async def insert_versions(self, rows: Sequence[tuple[EnrichedStory, bytes, bool]]) -> set[tuple[str, int]]:
        """Add (story, doc, is_kill) rows to the history; returns the (uri, version) keys that were new."""
        ...

    async def get_current(self, uris: Sequence[str]) -> dict[str, CurrentState]: ...

    async def put_current(self, rows: Sequence[tuple[EnrichedStory, bytes, CurrentState]]) -> None:
        """Insert or replace the current rows (content, tags, search index), one row per uri."""
        ...

    async def put_kill(self, rows: Sequence[tuple[str, CurrentState]]) -> None:
        """Update only the kill fields of existing current rows."""
        ...


def under_embargo(story: EnrichedStory, now: datetime) -> bool:
    """Whether the story may not be served or notified yet: its embargo is later than ``now``."""
    return story.embargoed is not None and story.embargoed > now


def released(found: StoryWithHistory, now: datetime | None = None) -> StoryWithHistory | None:
    """What may be served of a stored story at ``now`` (default: the clock): nothing while its current version is
    under embargo, and only the versions whose embargo has ended."""
    now = now or datetime.now(UTC)
    if under_embargo(found.story, now):
        return None
    versions = [v for v in found.versions if not under_embargo(v, now)]
    return found if len(versions) == len(found.versions) else found.model_copy(update={"versions": versions})


def encode_doc(story: EnrichedStory) -> bytes:
    return orjson.dumps(story.model_dump(mode="json"))


def step(cur: CurrentState | None, story: EnrichedStory, res: WriteResult) -> tuple[CurrentState | None, bool]:
    """Apply one newly stored version to a uri's state: (new state or None if unchanged, content replaced?).

    The rules: the current content is the highest non-kill version (a kill notice stands in while there is
    nothing else); the story is withdrawn while the highest kill is at least the content version.
    """
    v, at = story.version, story.versioncreated
    if is_kill(story):
        if cur is None:
            res.withdrawn += 1
            return CurrentState(v, True, v, at, story.agency), True
        if cur.kill_version is not None and cur.kill_version >= v:
            return None, False  # an older kill than one already applied
        content = cur.content_is_kill and v > cur.version
        new = CurrentState(v if content else cur.version, cur.content_is_kill, v, at, cur.agency)
        if new.withdrawn and not cur.withdrawn:
            res.withdrawn += 1
        return new, content
    if cur is None:
        return CurrentState(v, False, None, None, story.agency), True
    if cur.content_is_kill or v > cur.version:
        new = CurrentState(v, False, cur.kill_version, cur.withdrawn_at, cur.agency)
        res.replaced += 1
        if new.withdrawn and not cur.withdrawn:
            res.withdrawn += 1
        return new, True
    res.superseded += 1
    return None, False


async def apply_batch(tx: WriteTx, stories: Sequence[EnrichedStory]) -> WriteResult:
    """Apply a batch inside an open transaction. The final state does not depend on arrival order."""
    res = WriteResult()
    unique: dict[tuple[str, int], EnrichedStory] = {}
    for story in stories:
        key = (story.uri, story.version)
        if key in unique:
            res.ignored += 1
        else:
            unique[key] = story
    # Ownership first: a uri belongs to the agency whose story first stored it, and nothing of another agency's
    # is written under it (no version in the history, no content, no kill).
    state = await tx.get_current(sorted({s.uri for s in unique.values()}))
    check_owners(unique.values(), {uri: st.agency for uri, st in state.items()})
    docs = {key: encode_doc(story) for key, story in unique.items()}
    new_keys = await tx.insert_versions([(s, docs[k], is_kill(s)) for k, s in unique.items()])
    fresh = [(k, s) for k, s in unique.items() if k in new_keys]
    res.ignored += len(unique) - len(fresh)
    res.inserted = len(fresh)
    if not fresh:
        return res
    content: dict[str, tuple[str, int]] = {}  # uri -> key of the version whose content becomes current
    changed: set[str] = set()
    for key, story in fresh:
        new, replaces = step(state.get(story.uri), story, res)
        if new is not None:
            state[story.uri] = new
            changed.add(story.uri)
        if replaces:
            content[story.uri] = key
    await tx.put_current([(unique[k], docs[k], state[uri]) for uri, k in content.items()])
    await tx.put_kill([(uri, state[uri]) for uri in sorted(changed - content.keys())])
    return res


def check_owners(stories: Iterable[EnrichedStory], owners: dict[str, str]) -> None:
    """Raise ``StoreDataError`` (reason ``foreign_uri``) when a story's uri is owned by another agency: by a
    stored story (``owners``, uri → agency) or by an earlier story of the same batch."""
    owners = dict(owners)
    for story in stories:
        owner = owners.setdefault(story.uri, story.agency)
        if owner != story.agency:
            raise StoreDataError(
                f"{story.uri!r} belongs to agency {owner!r}; agency {story.agency!r} may not write it "
                "(give the story a uri of your own)",
                reason="foreign_uri",
            )


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


def rejection_filter(
    stage: str | None, reason: str | None, agency: str | None = None, pg: bool = False
) -> tuple[str, list[Any]]:
    """WHERE clause and parameters for ``list_rejections``."""
    clauses: list[str] = []
    params: list[Any] = []
    for col, val in (("stage", stage), ("reason", reason), ("agency", agency)):
        if val is not None:
            params.append(val)
            clauses.append(f"{col} = " + (f"${len(params)}" if pg else "?"))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
