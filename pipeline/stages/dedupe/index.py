"""Dedupe verdicts over explicit, mapping-backed state (pure: no I/O, no Kafka, no wall clock).

Two parts, each partition-local under its own key (see ``docs/dedupe.md``):

* :class:`UriIndex` — state keyed by uri (``wire.normalised`` is keyed by uri): resends of the same uri+version,
  updates, corrections, kills and late older versions.
* :class:`NearIndex` — state keyed by *lead shingle key*: a story is stored under the smallest shingle hashes of
  its lead and probes the buckets of a few more, so copies under other uris (exact or edited) meet in the same
  bucket whatever partition their uri hashes to.

:func:`combine` turns the uri outcome and the near candidates into the final :class:`Decision`.
:class:`DedupeIndex` runs all three in one process over one :class:`DedupeState` (tests, single worker).
"""

from __future__ import annotations

import binascii
import struct
from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from hashlib import blake2b
from typing import Any, Literal, NamedTuple

import orjson

from pipeline.stages.dedupe.simhash import Sketch, sketch
from pipeline.stages.errors import StageError
from schemas import DedupeInfo, DuplicateRecord, Story, Verdict

#: Second 0 of the state clock. Story times are stored as whole seconds since this instant (u32: until 2156).
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
#: Layout of the near entries (:class:`DedupeState`). 2: entries carry "seen", 4-character bucket keys, bare uri
#: for version 1. The shell names the near table after it, so a worker never reads entries of another layout.
STATE_FORMAT = 2
#: When dedupe first saw a story ("seen"), in ticks of 1/65536 s since :data:`EPOCH` (48 bits: until 2156).
TICKS_PER_SECOND = 1 << 16
_U = struct.Struct(">II")  # version (top bit: killed; next bit: undecided), second
_U_CHARS = 11  # base64 length of a packed uri entry (8 bytes)
_KILLED = 1 << 31
#: A new uri whose near-duplicate verdict is not settled yet (:meth:`UriIndex.settle` clears it).
_UNDECIDED = 1 << 30
_FLAGS = _KILLED | _UNDECIDED
#: simhash, story second (32 bits), content-hash tag (24 bits), seen (48 bits: whole seconds, then 1/65536 s)
_E = struct.Struct(">QI3sIH")
_E_CHARS = 28  # base64 length of a packed near entry head (21 bytes)
_E_FIELDS = 5
_ID_CHARS = 11  # base64 length of an 8-byte id
_OWNER_CHARS = 4  # base64 length of the 3-byte owner tag (owner_tag)
_SUBMISSION_CHARS = 4  # base64 length of the 3-byte submission tag (submission_tag)
_OTHER_CLUSTER = "~"  # marks an entry whose cluster is not its own uri id; the cluster id follows
_SEP = " "  # between entries of a bucket (uris never contain spaces)
#: Bucket keys: bytes 1-3 of a shingle hash. Keys come from the smallest hashes of a text, so their first byte is
#: mostly 0-15 and skipped; three uniform bytes give 16.7M buckets, and an unrelated story that shares one costs a
#: SimHash comparison, never a link (docs/dedupe.md "State").
_KEY_FROM = 1
_KEY_BYTES = 3
_KEY_CHARS = 4  # their base64 length (a multiple of 3 bytes: no padding)


def _b64(raw: bytes) -> str:
    return binascii.b2a_base64(raw, newline=False).rstrip(b"=").decode("ascii")


def _bucket_keys(hashes: list[bytes]) -> list[str]:
    """``_b64(h[_KEY_FROM:_KEY_FROM + _KEY_BYTES])`` of each hash, by one encoding: 3 bytes are exactly 4 base64
    characters, so the encoding of the joined slices is the joined encodings."""
    end = _KEY_FROM + _KEY_BYTES
    text = binascii.b2a_base64(b"".join([h[_KEY_FROM:end] for h in hashes]), newline=False).decode("ascii")
    return [text[i : i + _KEY_CHARS] for i in range(0, len(text), _KEY_CHARS)]


def _unb64(text: str) -> bytes:
    return binascii.a2b_base64(text + "=" * (-len(text) % 4))


def uri_id(uri: str) -> bytes:
    """8-byte id of a uri: the state key of the uri and the cluster id of a story that starts a cluster."""
    return blake2b(uri.encode("utf-8"), digest_size=8, person=b"wirefeed-uri").digest()


def cluster_name(cid: bytes) -> str:
    return _b64(cid)


def to_second(at: datetime) -> int:
    return max(0, int((at - EPOCH).total_seconds()))


def to_tick(at: datetime) -> int:
    """``at`` in seen ticks (1/65536 s since :data:`EPOCH`)."""
    delta = at - EPOCH
    seconds = delta.days * 86_400 + delta.seconds
    return max(0, seconds * TICKS_PER_SECOND + delta.microseconds * TICKS_PER_SECOND // 1_000_000)


def next_seen(last: int, now: datetime) -> int:
    """The seen tick of the next story a process handles: the clock's, but always after the previous one's, so
    stories one process handles are ordered as it handled them even within one tick."""
    return max(last + 1, to_tick(now))


def story_second(story: Story) -> int:
    """Story time: ``versioncreated``, but never later than when the pipeline received the story."""
    return to_second(min(story.versioncreated, story.received_at))


def owner_tag(agency: str) -> str:
    """4-character tag of the agency that owns a uri (24 bits of blake2b). Two agencies share a tag with odds of
    one in 16.7 million; the store checks the full agency name (docs/dedupe.md "Ownership")."""
    return _b64(blake2b(agency.encode("utf-8"), digest_size=3, person=b"wirefeed-agency").digest())


def submission_tag(submission_id: str) -> str:
    """4-character tag of the submission that wrote a uri entry (24 bits of blake2b): a story read again after a
    crash meets its own entry, whose outputs went out before the entry was written (docs/dedupe.md)."""
    return _b64(blake2b(submission_id.encode("utf-8"), digest_size=3, person=b"wirefeed-submit").digest())


def _entry_tags(raw: str) -> tuple[str | None, str | None, str | None]:
    """(owner tag, submission tag, cluster id) of a packed uri entry: 19 or 30 characters. Entries written before
    submissions were kept are 15 or 26 (no submission tag), before owners were kept 11 or 22 (neither)."""
    rest = raw[_U_CHARS:]
    tags = len(rest) % _ID_CHARS
    if tags == _OWNER_CHARS + _SUBMISSION_CHARS:
        return rest[:_OWNER_CHARS], rest[_OWNER_CHARS:tags], rest[tags:] or None
    if tags == _OWNER_CHARS:
        return rest[:_OWNER_CHARS], None, rest[_OWNER_CHARS:] or None
    return None, None, rest or None


def _ref(story: Story) -> str:
    return f"{story.uri}@{story.version}"


def _is_kill(story: Story) -> bool:
    return story.pubstatus == "canceled" or "kill" in story.signals


@dataclass(frozen=True)
class DedupeConfig:
    #: How long a story is remembered, by story time.
    window: timedelta = timedelta(days=7)
    #: Largest SimHash Hamming distance (of 64 bits) between near-duplicates; chosen in docs/dedupe.md.
    near_threshold: int = 14
    #: What happens to a near-duplicate: forwarded (linked to its cluster) or kept out of ``wire.enriched``.
    near_policy: Literal["pass", "drop"] = "pass"
    #: A story is stored in the buckets of its ``store_keys`` smallest shingle hashes among the first
    #: ``store_window`` shingles of its text ...
    store_window: int = 60
    store_keys: int = 1
    #: ... and looks for earlier copies in the buckets of its ``probe_keys`` smallest among the first
    #: ``probe_window`` (its store keys are always visited too).
    probe_window: int = 120
    probe_keys: int = 8
    #: Most entries one bucket keeps (newest first); bounds the changelog value of a common shingle.
    bucket_cap: int = 64

    @property
    def window_seconds(self) -> int:
        return int(self.window.total_seconds())


# --------------------------------------------------------------------------------------------- state


class DedupeState:
    """The mappings dedupe keeps. Plain dicts in tests, Faust tables in the workers.

    Key spaces (all keys and values are str / list[str], so they travel as orjson on a changelog):

    ``uris`` — partition-local by uri (the key of ``wire.normalised``):
        ``b64(uri_id)`` (11 chars) → ``b64(version u32 with the top bit set once killed and the next bit set while
        a new uri's verdict is not settled, second u32)`` (11 chars), then the owner tag of the agency whose story
        the uri is (4 chars, :func:`owner_tag`; absent in entries written before owners were kept), then the
        cluster id (11 chars) only when it is not the uri's own id.
    ``near`` — partition-local by lead shingle key (the key of the near-probe topic):
        ``b64(bytes 1-3 of a shingle hash)`` (4 chars) → one string of entries, oldest first, separated by
        a space; each entry is ``b64(simhash u64, second u32, content-hash tag u24, seen u48)`` (28 chars),
        then ``"~" + cluster id`` only when the cluster is not the story's own uri id, then ``"uri@version"``
        (just ``"uri"`` for version 1; ``%``, space, ``~`` and ``@`` in the uri percent-escaped).

    ``b64`` is standard base64 without padding; seconds count from :data:`EPOCH`, "seen" (when dedupe first
    handled the story, the order in which near-duplicates link) in 1/65536 s from it. Ids are 8-byte blake2b of the
    uri (:func:`uri_id`); the cluster id of a story that starts a cluster is its own uri id.
    """

    def __init__(
        self, uris: MutableMapping[str, Any] | None = None, near: MutableMapping[str, Any] | None = None
    ) -> None:
        self.uris: MutableMapping[str, Any] = {} if uris is None else uris
        self.near: MutableMapping[str, Any] = {} if near is None else near

    def changelog_bytes(self) -> int:
        """Bytes the state's keys and values take as orjson, as a compacted changelog would carry them."""
        return sum(len(orjson.dumps(k)) + len(orjson.dumps(v)) for m in (self.uris, self.near) for k, v in m.items())


# --------------------------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class NearProbe:
    """What the uri part sends to the near part, once per routing key (``keys``)."""

    ref: str  # "uri@version" of the story
    cluster: str  # its cluster id: its own uri id for a new uri, the known cluster for a newer version
    simhash: int
    second: int  # story time (story_second): the window is by story time
    seen: int  # when dedupe first handled it (ticks): which of two copies came first (see ``_precedes``)
    ch_tag: str  # content_tag(content_hash): 6 hex digits
    store: tuple[str, ...]  # bucket keys it is stored under
    probe: tuple[str, ...]  # bucket keys it looks in (a superset of ``store``)
    index_only: bool = False  # True: store the text, the verdict does not wait for candidates

    @property
    def keys(self) -> tuple[str, ...]:
        """Every bucket key this probe must visit: the shell sends one message per key, keyed by it."""
        return self.probe

    def to_wire(self) -> dict[str, Any]:
        return {
            "ref": self.ref, "cluster": self.cluster, "simhash": self.simhash, "second": self.second,
            "seen": self.seen, "ch_tag": self.ch_tag, "store": list(self.store), "probe": list(self.probe),
            "index_only": self.index_only,
        }  # fmt: skip

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> NearProbe:
        # A probe written before "seen" existed (in flight, or waiting in dedupe-pending, across an upgrade) is
        # ordered before every story stamped since.
        return cls(
            data["ref"], data["cluster"], int(data["simhash"]), int(data["second"]), int(data.get("seen", 0)),
            data["ch_tag"],
            tuple(data["store"]), tuple(data["probe"]), bool(data.get("index_only", False)),
        )  # fmt: skip


@dataclass(frozen=True, order=True)
class Candidate:
    """An earlier story found in a bucket, as the near part answers it back to the uri part."""

    distance: int
    second: int
    seen: int
    ref: str
    cluster: str
    exact: bool  # same SimHash and same content-hash tag: the same normalised content

    def to_wire(self) -> list[Any]:
        return [self.distance, self.second, self.seen, self.ref, self.cluster, self.exact]

    @classmethod
    def from_wire(cls, data: list[Any]) -> Candidate:
        if len(data) == 5:  # an answer written before "seen" existed (in flight across an upgrade)
            return cls(int(data[0]), int(data[1]), 0, str(data[2]), str(data[3]), bool(data[4]))
        return cls(int(data[0]), int(data[1]), int(data[2]), str(data[3]), str(data[4]), bool(data[5]))


@dataclass(frozen=True)
class UriOutcome:
    """The uri part's answer. ``verdict`` is None for a uri never seen: the near part decides."""

    verdict: Verdict | None
    cluster: str
    duplicate_of: str | None = None
    near: NearProbe | None = None  # send it to the near part when set
    #: The story's own submission met its own settled entry: it was decided before and its outputs went out before
    #: the entry was written (a batch read again after a crash). ``verdict`` is "duplicate"; a stream processor
    #: sends nothing for it.
    replay: bool = False

    @property
    def wait_for_near(self) -> bool:
        return self.verdict is None


@dataclass(frozen=True)
class Decision:
    info: DedupeInfo
    #: False: keep the story out of ``wire.enriched``.
    forward: bool
    #: The audit record for ``wire.duplicates``; set exactly when ``forward`` is False.
    record: DuplicateRecord | None = None


# --------------------------------------------------------------------------------------------- uri part


class UriIndex:
    """Verdicts that only need the story's own uri: duplicate resend, update, correction, kill, stale."""

    def __init__(self, uris: MutableMapping[str, Any], config: DedupeConfig = DedupeConfig()) -> None:
        self.uris = uris
        self.config = config

    def _read(self, key: str, second: int) -> tuple[int, int, int, str | None, str | None, str | None] | None:
        raw = self.uris.get(key)
        if raw is None:
            return None
        packed, stored_second = _U.unpack(_unb64(raw[:_U_CHARS]))
        if second - stored_second > self.config.window_seconds:
            return None
        owner, submission, cluster = _entry_tags(raw)
        return packed & ~_FLAGS, stored_second, packed & _FLAGS, cluster, owner, submission

    def _write(self, key: str, version: int, second: int, flags: int, cluster: str | None, owner: str,
               submission: str) -> None:
        packed = _b64(_U.pack(min(version, _UNDECIDED - 1) | flags, second))
        self.uris[key] = packed + owner + submission + (cluster or "")

    def check(self, story: Story, seen: int | None = None) -> UriOutcome:
        """The uri part's verdict. ``seen``: when dedupe handles the story (ticks, :func:`next_seen`); it orders
        copies that meet in a bucket. Defaults to the story's ``received_at``."""
        if seen is None:
            seen = to_tick(story.received_at)
        own = uri_id(story.uri)
        key = _b64(own)
        second = story_second(story)
        kill = _is_kill(story)
        owner = owner_tag(story.agency)
        submission = submission_tag(story.submission_id)
        found = self._read(key, second)
        if found is None:
            self._write(key, story.version, second, (_KILLED if kill else 0) | _UNDECIDED, None, owner, submission)
            return UriOutcome(None, key, near=self._probe(story, key, second, seen, index_only=False))
        version, stored_second, flags, cluster, stored_owner, stored_submission = found
        if stored_owner is not None and stored_owner != owner:
            # Checked before anything is written: another agency's story changes nothing of the owner's.
            raise StageError(
                "foreign_uri",
                f"{story.uri!r} belongs to another agency's story; agency {story.agency!r} may not send versions, "
                "corrections or kills of it (give the story a uri of your own)",
            )
        if flags & _UNDECIDED and story.version == version:
            # Seen, never settled: whatever decided it did not survive (a crash between state and output).
            # Judge it again as a new uri; the near part skips the story's own bucket entries.
            return UriOutcome(None, key, near=self._probe(story, key, second, seen, index_only=False))
        flags &= ~_UNDECIDED
        cluster = cluster or key
        if story.version < version:
            return UriOutcome("stale", cluster, f"{story.uri}@{version}")
        if story.version == version and not (kill and not flags & _KILLED):
            return UriOutcome("duplicate", cluster, f"{story.uri}@{version}", replay=stored_submission == submission)
        verdict: Verdict = "kill" if kill else "correction" if "correction" in story.signals else "update"
        stored_cluster = None if cluster == key else cluster
        self._write(key, story.version, max(second, stored_second), flags | (_KILLED if kill else 0), stored_cluster,
                    owner, submission)
        near = None if kill else self._probe(story, cluster, second, seen, index_only=True)
        return UriOutcome(verdict, cluster, f"{story.uri}@{version}", near)

    def settle(self, story: Story, cluster: str) -> None:
        """Record a new uri's verdict once it is out (after :func:`combine`): its cluster, so its versions stay in
        it, and that it is settled, so a resend is a duplicate. Until then a replay is judged again as new."""
        key = _b64(uri_id(story.uri))
        raw = self.uris.get(key)
        if raw is None:
            return
        packed, second = _U.unpack(_unb64(raw[:_U_CHARS]))
        owner, submission, _ = _entry_tags(raw)
        tags = (owner or owner_tag(story.agency)) + (submission or submission_tag(story.submission_id))
        self.uris[key] = _b64(_U.pack(packed & ~_UNDECIDED, second)) + tags + ("" if cluster == key else cluster)

    def _probe(self, story: Story, cluster: str, second: int, seen: int, *, index_only: bool) -> NearProbe:
        c = self.config
        sk: Sketch = sketch(story, c.store_window, c.store_keys, c.probe_window, c.probe_keys)
        keys = _bucket_keys([*sk.store, *sk.probe])
        store = tuple(dict.fromkeys(keys[: len(sk.store)]))
        probe = tuple(dict.fromkeys([*store, *keys[len(sk.store) :]]))
        return NearProbe(
            _ref(story), cluster, sk.simhash, second, seen, content_tag(story.content_hash),
            store, probe, index_only,
        )  # fmt: skip

    def evict_expired(self, now: datetime) -> int:
        cutoff = to_second(now) - self.config.window_seconds
        stale = [k for k, v in list(self.uris.items()) if _U.unpack(_unb64(v[:_U_CHARS]))[1] < cutoff]
        for k in stale:
            del self.uris[k]
        return len(stale)


# --------------------------------------------------------------------------------------------- near part


def _escape(ref: str) -> str:
    """A ref as stored in a bucket: the uri with no separator, cluster marker or "@" inside it, then ``@version``
    unless the version is 1 (most stories: two bytes less per entry)."""
    uri, _, version = ref.rpartition("@")
    if "%" in uri or _SEP in uri or _OTHER_CLUSTER in uri or "@" in uri:
        uri = uri.replace("%", "%25").replace(_SEP, "%20").replace(_OTHER_CLUSTER, "%7E").replace("@", "%40")
    return uri if version == "1" else f"{uri}@{version}"


def _unescape(stored: str) -> str:
    uri, at, version = stored.rpartition("@")
    if not at:
        uri, version = stored, "1"
    if "%" in uri:
        uri = uri.replace("%40", "@").replace("%7E", _OTHER_CLUSTER).replace("%20", _SEP).replace("%25", "%")
    return f"{uri}@{version}"


def content_tag(content_hash: str) -> str:
    """24-bit tag of a content hash (6 hex digits): with equal SimHashes, equal tags mean the same content."""
    return blake2b(content_hash.encode("utf-8"), digest_size=3).hexdigest()


def _pack_entry(simhash: int, second: int, ch_tag: str, seen: int, cluster: str, ref: str) -> str:
    head = _b64(_E.pack(simhash, second, bytes.fromhex(ch_tag), *divmod(seen, TICKS_PER_SECOND)))
    if cluster != _b64(uri_id(_uri_of(ref))):
        head += _OTHER_CLUSTER + cluster
    return head + _escape(ref)


def _unpack_entry(entry: str) -> tuple[int, int, int, str, str, str]:
    """→ simhash, second, seen, cluster, content-hash tag (6 hex digits), ref."""
    simhash, second, tag, seen_s, seen_frac = _E.unpack(_unb64(entry[:_E_CHARS]))
    if entry[_E_CHARS] == _OTHER_CLUSTER:
        cluster, ref = entry[_E_CHARS + 1 : _E_CHARS + 1 + _ID_CHARS], _unescape(entry[_E_CHARS + 1 + _ID_CHARS :])
    else:
        ref = _unescape(entry[_E_CHARS:])
        cluster = _b64(uri_id(_uri_of(ref)))
    return simhash, second, seen_s * TICKS_PER_SECOND + seen_frac, cluster, tag.hex(), ref


def _entry_ref(entry: str) -> str:
    return _unescape(entry[_E_CHARS + 1 + _ID_CHARS :] if entry[_E_CHARS] == _OTHER_CLUSTER else entry[_E_CHARS:])


def _second_of(entry: str) -> int:
    return int.from_bytes(_unb64(entry[:_E_CHARS])[8:12], "big")


@lru_cache(maxsize=256)
def _heads_struct(count: int) -> struct.Struct:
    """Unpacks ``count`` packed entry heads (:data:`_E`) into one flat tuple."""
    return struct.Struct(">" + "QI3sIH" * count)


def _entries(value: str | None) -> list[str]:
    return value.split(_SEP) if value else []


def _uri_of(ref: str) -> str:
    return ref.rpartition("@")[0]


class _Bucket(NamedTuple):
    entries: tuple[str, ...]
    simhashes: tuple[int, ...]
    seconds: tuple[int, ...]
    earliest: int  # the smallest second (a large number for an empty bucket)


_EMPTY_BUCKET = _Bucket((), (), (), 1 << 62)
#: Parsed buckets kept (hot buckets are probed by many stories between changes): at most ~4 MB.
_PARSED_BUCKETS = 256
_PARSED: dict[str, _Bucket] = {}


class NearIndex:
    """Buckets of stories keyed by lead shingle hash. One call per (bucket key, probe): look, then store."""

    def __init__(self, near: MutableMapping[str, Any], config: DedupeConfig = DedupeConfig()) -> None:
        self.near = near
        self.config = config
        self._window_seconds = config.window_seconds

    def _parse(self, value: str | None) -> _Bucket:
        """A bucket's entries and their simhashes and seconds, from a small cache keyed by the bucket's text.

        The parse depends on the text alone, so the cache is shared by every ``NearIndex`` (the worker builds one
        per probe) and needs no invalidation: a changed bucket is a different text.
        """
        if not value:
            return _EMPTY_BUCKET
        parsed = _PARSED.get(value)
        if parsed is None:
            entries = tuple(value.split(_SEP))
            # Every head is 20 base64 characters (15 bytes, no padding): one decode and one unpack for the
            # bucket, flat: simhash, second, tag, simhash, ...
            heads = binascii.a2b_base64("".join([e[:_E_CHARS] for e in entries]))
            flat = _heads_struct(len(entries)).unpack(heads)
            parsed = _Bucket(entries, flat[0::_E_FIELDS], flat[1::_E_FIELDS], min(flat[1::_E_FIELDS]))
            while len(_PARSED) >= _PARSED_BUCKETS:
                _PARSED.pop(next(iter(_PARSED)), None)  # the oldest parsed
            _PARSED[value] = parsed
        return parsed

    @staticmethod
    def clear_cache() -> None:
        """Forget the parsed buckets (a cache of the bucket texts: results do not change)."""
        _PARSED.clear()

    def probe(self, key: str, probe: NearProbe) -> list[Candidate]:
        """Candidates in bucket ``key`` within the threshold; stores the probe if ``key`` is a store key."""
        value = self.near.get(key)
        entries, simhashes, seconds, earliest = self._parse(value)
        oldest = probe.second - self._window_seconds
        any_expired = earliest < oldest
        found: list[Candidate] = []
        if entries and not probe.index_only:
            threshold = self.config.near_threshold
            distances = list(map(int.bit_count, map(probe.simhash.__xor__, simhashes)))
            if min(distances) <= threshold:
                me = _uri_of(probe.ref)
                for e, d, second in zip(entries, distances, seconds, strict=True):
                    if d > threshold or second < oldest:
                        continue
                    _, second, seen, cluster, tag, ref = _unpack_entry(e)
                    if _uri_of(ref) != me:
                        found.append(Candidate(d, second, seen, ref, cluster, d == 0 and tag == probe.ch_tag))
        cap = self.config.bucket_cap
        tail = _escape(probe.ref)
        if key in probe.store and not any_expired and cap >= 1 and not (value and tail in value):
            # Nothing expired and no entry of this ref (its escaped ref appears nowhere in the text): the new
            # entry goes at the end and the oldest over the cap go, without splitting and joining the rest.
            packed = _pack_entry(probe.simhash, probe.second, probe.ch_tag, probe.seen, probe.cluster, probe.ref)
            drop = len(entries) + 1 - cap
            if drop > 0:
                assert value is not None
                value = value[sum(map(len, entries[:drop])) + drop :]
            self.near[key] = f"{value}{_SEP}{packed}" if value else packed
            return found
        kept: Sequence[str] = entries
        if any_expired:
            kept = [e for e, second in zip(entries, seconds, strict=True) if second >= oldest]
        if key in probe.store:
            # An entry of the same ref ends with the escaped ref: only those need the exact check.
            stored = [e for e in kept if not e.endswith(tail) or _entry_ref(e) != probe.ref]
            stored.append(_pack_entry(probe.simhash, probe.second, probe.ch_tag, probe.seen, probe.cluster, probe.ref))
            kept = stored[-cap:]
        if kept is not entries and tuple(kept) != entries:
            if kept:
                self.near[key] = _SEP.join(kept)
            else:
                del self.near[key]
        return found

    def relink(self, key: str, ref: str, cluster: str) -> None:
        """Point the stored entry of ``ref`` in bucket ``key`` at ``cluster`` (after it joined that cluster)."""
        entries = _entries(self.near.get(key))
        for i, e in enumerate(entries):
            if _entry_ref(e) == ref:
                simhash, second, seen, _, tag, _ = _unpack_entry(e)
                entries[i] = _pack_entry(simhash, second, tag, seen, cluster, ref)
                self.near[key] = _SEP.join(entries)
                return

    def evict_expired(self, now: datetime) -> int:
        """Delete entries older than the window (also ones restored from a changelog). Returns entries removed."""
        cutoff = to_second(now) - self.config.window_seconds
        removed = 0
        for key, value in list(self.near.items()):
            entries = _entries(value)
            keep = [e for e in entries if _second_of(e) >= cutoff]
            if len(keep) != len(entries):
                removed += len(entries) - len(keep)
                if keep:
                    self.near[key] = _SEP.join(keep)
                else:
                    del self.near[key]
        return removed


# --------------------------------------------------------------------------------------------- combine


def _precedes(c: Candidate, seen: int, ref: str) -> bool:
    """A total order on stories: when dedupe first handled them, then ``uri@version``.

    Handling order, not story time: a copy handled after its original must link to it even when its own story
    time is earlier (a syndicated copy keeping the original's timestamp) or in the same second with a smaller
    uri, because the original's verdict is already out and did not link to a story it had not met. Two copies
    racing (each handled before it met the other) still agree on one order, so they never link to each other."""
    return (c.seen, c.ref) < (seen, ref)


def best_candidate(candidates: Iterable[Candidate], probe: NearProbe) -> Candidate | None:
    """The earlier story a new one repeats: an exact copy first, else the nearest; among equals the one handled
    first (an original rather than a copy of it that came later)."""
    earlier = [c for c in candidates if _precedes(c, probe.seen, probe.ref)]
    if not earlier:
        return None
    return min(earlier, key=lambda c: (not c.exact, c.distance, c.seen, c.ref))


def _record(story: Story, info: DedupeInfo) -> DuplicateRecord:
    return DuplicateRecord(
        uri=story.uri, version=story.version, agency=story.agency, submission_id=story.submission_id,
        headline=story.headline, content_hash=story.content_hash, verdict=info.verdict,
        duplicate_of=info.duplicate_of, cluster_id=info.cluster_id, similarity=info.similarity,
        detected_at=story.received_at,
    )  # fmt: skip


def _decide(story: Story, info: DedupeInfo, forward: bool) -> Decision:
    return Decision(info, forward, None if forward else _record(story, info))


def decide_uri(story: Story, outcome: UriOutcome) -> Decision:
    """Decision for an outcome the uri part settled alone (``outcome.verdict`` is not None)."""
    assert outcome.verdict is not None
    sim = 1.0 if outcome.verdict == "duplicate" else None
    info = DedupeInfo(
        verdict=outcome.verdict, cluster_id=outcome.cluster, duplicate_of=outcome.duplicate_of, similarity=sim
    )
    return _decide(story, info, outcome.verdict not in ("duplicate", "stale"))


def combine(
    story: Story, outcome: UriOutcome, candidates: Iterable[Candidate], config: DedupeConfig = DedupeConfig()
) -> Decision:
    """Final decision for a new uri from the near part's candidates (all bucket answers together)."""
    if not outcome.wait_for_near:
        return decide_uri(story, outcome)
    assert outcome.near is not None
    best = best_candidate(candidates, outcome.near)
    if best is None:
        return _decide(story, DedupeInfo(verdict="new", cluster_id=outcome.cluster), True)
    if best.exact:
        info = DedupeInfo(verdict="duplicate", cluster_id=best.cluster, duplicate_of=best.ref, similarity=1.0)
        return _decide(story, info, False)
    info = DedupeInfo(
        verdict="near_duplicate", cluster_id=best.cluster, duplicate_of=best.ref,
        similarity=round(1.0 - best.distance / 64, 4),
    )  # fmt: skip
    return _decide(story, info, config.near_policy == "pass")


def relinks(outcome: UriOutcome, decision: Decision) -> tuple[str, ...]:
    """Bucket keys whose entry of this story must be relinked (:meth:`NearIndex.relink`) to its new cluster."""
    if outcome.near is None or not outcome.wait_for_near or decision.info.cluster_id == outcome.cluster:
        return ()
    return outcome.near.store


# --------------------------------------------------------------------------------------------- one process


@dataclass
class DedupeIndex:
    """Both parts over one :class:`DedupeState`, for a single process (and as the reference for the shell)."""

    state: DedupeState
    config: DedupeConfig = field(default_factory=DedupeConfig)

    def __post_init__(self) -> None:
        self.uris = UriIndex(self.state.uris, self.config)
        self.nears = NearIndex(self.state.near, self.config)
        #: Seen tick of the last story checked: stories are ordered as they were checked.
        self.last_seen = 0

    def check(self, story: Story, seen: int | None = None) -> Decision:
        """The story's decision. ``seen`` (ticks) defaults to the story's ``received_at``, moved on to keep
        the order in which stories are checked."""
        self.last_seen = next_seen(self.last_seen, story.received_at) if seen is None else seen
        outcome = self.uris.check(story, self.last_seen)
        candidates: list[Candidate] = []
        if outcome.near is not None:
            for key in outcome.near.keys:
                candidates.extend(self.nears.probe(key, outcome.near))
        decision = combine(story, outcome, candidates, self.config)
        for key in relinks(outcome, decision):
            self.nears.relink(key, outcome.near.ref, decision.info.cluster_id)  # type: ignore[union-attr]
        if outcome.wait_for_near:
            self.uris.settle(story, decision.info.cluster_id)
        return decision

    def evict_expired(self, now: datetime) -> int:
        return self.uris.evict_expired(now) + self.nears.evict_expired(now)
