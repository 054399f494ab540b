"""The query layer shared by both backends, the read API and the CLI: filters, cursors, search terms."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import UTC, datetime
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas import DuplicateRecord, EnrichedStory
from schemas._types import UtcDatetime
from schemas.enriched import Verdict

MAX_LIMIT = 500


class InvalidCursorError(ValueError):
    """The cursor is not one this store issued, or it was issued for a different query."""


class StoryQuery(BaseModel):
    """Filters for ``Store.query``. Every list filter matches any of its values; filters combine with AND."""

    model_config = ConfigDict(extra="forbid")

    countries: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-2 codes")
    focus_only: bool = Field(False, description="Match countries against the focus country only")
    blocs: list[str] = Field(default_factory=list, description="Trade-bloc codes, e.g. 'EAEU'")
    agencies: list[str] = Field(default_factory=list)
    verdicts: list[Verdict] = Field(default_factory=list, description="Dedupe verdict of the current version")
    cluster: str | None = None
    since: UtcDatetime | None = Field(None, description="versioncreated >= since")
    until: UtcDatetime | None = Field(None, description="versioncreated < until")
    text: str | None = Field(None, description='Full-text search; words AND-ed, "quoted phrases" kept together')
    include_withdrawn: bool = Field(False, description="Also return killed stories")
    at: UtcDatetime | None = Field(
        None, description="When embargoes are judged (stories embargoed until later are left out); default now"
    )
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, description="next_cursor of the previous page")

    @field_validator("countries", "blocs")
    @classmethod
    def _upper(cls, v: list[str]) -> list[str]:
        return [c.strip().upper() for c in v if c.strip()]

    @property
    def search_terms(self) -> list[str]:
        return search_terms(self.text or "")

    @property
    def mode(self) -> Literal["time", "rank"]:
        """'rank': ordered by relevance (text search); 'time': newest first."""
        return "rank" if self.search_terms else "time"

    def fingerprint(self) -> str:
        """Short digest of the filters (not limit/cursor): a cursor only continues the query it came from."""
        data = self.model_dump(mode="json", exclude={"limit", "cursor"})
        return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]


class StoryPage(BaseModel):
    items: list[EnrichedStory]
    next_cursor: str | None = Field(None, description="Pass as cursor for the next page; null on the last page")


class StoryWithHistory(BaseModel):
    story: EnrichedStory = Field(description="The current version (the newest that is not a kill notice)")
    withdrawn: bool = False
    withdrawn_at: UtcDatetime | None = Field(None, description="versioncreated of the kill")
    versions: list[EnrichedStory] = Field(description="Every version received, oldest first")


class ClusterMember(BaseModel):
    """One story in a cluster: a stored story (kind 'story') or a copy dedupe kept back (kind 'duplicate')."""

    kind: Literal["story", "duplicate"]
    uri: str
    version: int
    agency: str
    headline: str
    verdict: Verdict
    duplicate_of: str | None = None
    similarity: float | None = None
    withdrawn: bool = False
    at: UtcDatetime = Field(description="versioncreated of a story, detected_at of a duplicate")

    @classmethod
    def of_story(cls, story: EnrichedStory, withdrawn: bool) -> ClusterMember:
        d = story.dedupe
        return cls(
            kind="story", uri=story.uri, version=story.version, agency=story.agency, headline=story.headline,
            verdict=d.verdict, duplicate_of=d.duplicate_of, similarity=d.similarity, withdrawn=withdrawn,
            at=story.versioncreated,
        )  # fmt: skip

    @classmethod
    def of_duplicate(cls, d: DuplicateRecord) -> ClusterMember:
        return cls(
            kind="duplicate", uri=d.uri, version=d.version, agency=d.agency, headline=d.headline,
            verdict=d.verdict, duplicate_of=d.duplicate_of, similarity=d.similarity, at=d.detected_at,
        )  # fmt: skip


class WriteResult(BaseModel):
    """What one ``write_batch`` did. inserted + ignored == stories in the batch."""

    inserted: int = Field(0, description="Versions stored for the first time")
    ignored: int = Field(0, description="(uri, version) already stored: replays and redeliveries")
    superseded: int = Field(0, description="Inserted versions older than the current one: history only")
    replaced: int = Field(0, description="Inserted versions that became the current version of a known uri")
    withdrawn: int = Field(0, description="Stories marked withdrawn by a kill in this batch")


class AgencyKey(BaseModel):
    agency: str
    key_id: str
    key_hash: str
    created_at: UtcDatetime
    revoked_at: UtcDatetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


_TERM = re.compile(r'"([^"]*)"|(\w+)', re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(text: str) -> list[str]:
    """Split a search string into terms: each a word or a phrase (words joined by one space), lower case.

    Punctuation and operators are ignored, so any user input is a valid query on both backends.
    """
    terms: list[str] = []
    for phrase, word in _TERM.findall(text):
        if phrase:
            words = _WORD.findall(phrase.lower())
            if words:
                terms.append(" ".join(words))
        elif word:
            terms.append(word.lower())
    return terms


def fts5_match(terms: list[str]) -> str:
    """SQLite FTS5 MATCH expression: every term (word or phrase) as a quoted string, implicitly AND-ed."""
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def encode_cursor(q: StoryQuery, key: float | str, uri: str) -> str:
    raw = orjson.dumps([q.fingerprint(), q.mode, key, uri])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(q: StoryQuery) -> tuple[float | str, str] | None:
    """(sort key, uri) of the last row of the previous page, or None for the first page."""
    if not q.cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(q.cursor + "=" * (-len(q.cursor) % 4))
        fingerprint, mode, key, uri = orjson.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidCursorError("malformed cursor") from exc
    if fingerprint != q.fingerprint() or mode != q.mode:
        raise InvalidCursorError("cursor belongs to a different query")
    if mode == "rank" and not isinstance(key, int | float):
        raise InvalidCursorError("malformed cursor")
    if mode == "time":
        try:
            parse_ts_text(key)
        except (TypeError, ValueError) as exc:
            raise InvalidCursorError("malformed cursor") from exc
    if not isinstance(uri, str):
        raise InvalidCursorError("malformed cursor")
    return key, uri


def ts_text(dt: datetime) -> str:
    """Fixed-width UTC text that sorts like the instant (the SQLite time column and the time cursor)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts_text(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def is_kill(story: EnrichedStory) -> bool:
    """A kill notice: dedupe verdict 'kill', a 'kill' signal, or pubstatus 'canceled'."""
    return story.dedupe.verdict == "kill" or "kill" in story.signals or story.pubstatus == "canceled"


#: Full-text search covers the headline and body up to these lengths (PostgreSQL caps a tsvector at 1 MB; both
#: backends index the same text so they find the same stories).
SEARCH_HEADLINE_CHARS = 8_192
SEARCH_BODY_CHARS = 200_000


def body_text(story: EnrichedStory) -> str:
    return "\n\n".join(story.body)


def search_text(story: EnrichedStory) -> tuple[str, str]:
    """(headline, body) as indexed for full-text search."""
    return story.headline[:SEARCH_HEADLINE_CHARS], body_text(story)[:SEARCH_BODY_CHARS]
