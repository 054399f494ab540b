"""Notification routing: which subscriptions a story matches, and the compact Notification each one gets.

Pure and synchronous. Public API::

    Subscription, SubscriptionFilter            # one subscription (validated with pydantic)
    Router(subscriptions, link_template=None)   # index built once; Router.route(story) per story
    route(story, subscriptions_or_router)       # (topic, Notification) per matching subscription
    route_naive(story, subscriptions)           # the reference loop over every subscription
    matches(story, subscription)                # one subscription, evaluated directly
    notification_id(subscription, uri, version, verdict)

A subscription matches a story when every filter it sets matches (unset filters match everything):

- verdict in the subscription's verdicts (default: every notifiable verdict for ``every_version``; for
  ``per_cluster`` the first story of a cluster — verdict ``new`` — and ``update``, ``correction``, ``kill``;
  ``near_duplicate`` copies of a cluster are not notified again);
- agency in ``agencies`` (case-insensitive);
- ``countries``: with ``country_match: focus`` the story's focus country, with ``mention`` any tagged country;
- ``blocs``: with ``bloc_match: explicit`` a bloc the text names, with ``any`` also blocs derived from members
  (case-insensitive codes);
- ``min_urgency`` N: the story's IPTC urgency is known and is 1..N (1 is the most urgent);
- ``keywords``: any keyword or phrase occurs in the headline or body, case-insensitive, on word boundaries.

Kills: with ``kills: all`` (the default) a kill reaches every subscription whose verdict and agency filters pass,
whatever its text says, because a withdrawal often no longer names what the first version did.

The :class:`Router` indexes subscriptions by one tag each (focus country, named bloc, mentioned country, keyword,
bloc, agency, or "unfiltered") and checks a story only against the candidates its tags select. Its result is the
same list, in the same order, as :func:`route_naive`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import quote

import ahocorasick
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from pipeline.stages.normalise.countries import alpha2
from schemas import EnrichedStory, Notification
from schemas.enriched import Verdict

#: Verdicts that reach subscribers (duplicates never reach `wire.enriched`; stale versions never pass dedupe).
NOTIFIABLE: frozenset[str] = frozenset({"new", "update", "correction", "kill", "near_duplicate"})
#: What ``per_cluster`` delivery sends: the first story of a cluster, then its updates, corrections and kills.
PER_CLUSTER: frozenset[str] = NOTIFIABLE - {"near_duplicate"}
#: Placeholders a link template may use.
LINK_FIELDS = ("uri", "version", "agency")

CountryMatch = Literal["focus", "mention"]
BlocMatch = Literal["explicit", "any"]
Delivery = Literal["every_version", "per_cluster"]
KillPolicy = Literal["all", "matching"]

_TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _country_code(value: Any) -> str:
    if isinstance(value, bool):
        raise ValueError(
            'YAML reads unquoted NO, YES, ON and OFF as true/false: quote country codes, e.g. "NO" for Norway'
        )
    if not isinstance(value, str):
        raise ValueError("a country is a two-letter ISO 3166-1 code written as text, e.g. KG")
    code = alpha2(value)
    if code is None:
        raise ValueError(
            f"{value!r} is not an ISO 3166-1 code; use the alpha-2 code (e.g. GB for the United Kingdom, KG for "
            "Kyrgyzstan; alpha-3 such as KGZ is accepted too)"
        )
    return code


def _code(what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{what} must be non-empty text")
        return value.strip().casefold()

    return check


def _keyword(value: Any) -> str:
    if not isinstance(value, str) or not value.split():
        raise ValueError("a keyword must be non-empty text (a word or a phrase)")
    return " ".join(value.split()).casefold()


def _verdict(value: Any) -> Any:
    if value in ("duplicate", "stale"):
        raise ValueError(
            f"{value!r} stories never reach wire.enriched, so nothing would be notified; use some of "
            + ", ".join(sorted(NOTIFIABLE))
        )
    return value


CountryCode = Annotated[str, BeforeValidator(_country_code)]
BlocCode = Annotated[str, BeforeValidator(_code("a bloc code"))]
AgencyId = Annotated[str, BeforeValidator(_code("an agency"))]
Keyword = Annotated[str, BeforeValidator(_keyword)]
SubscribedVerdict = Annotated[Verdict, BeforeValidator(_verdict)]


class SubscriptionFilter(BaseModel):
    """What a subscription wants. Every unset filter matches everything."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    countries: frozenset[CountryCode] = Field(frozenset(), description="ISO 3166-1 alpha-2 codes")
    country_match: CountryMatch = Field("mention", description="focus: the story's focus country; mention: any")
    blocs: frozenset[BlocCode] = Field(frozenset(), description="Bloc codes, e.g. EAEU (case-insensitive)")
    bloc_match: BlocMatch = Field("any", description="explicit: the text names the bloc; any: also via members")
    agencies: frozenset[AgencyId] = Field(frozenset(), description="Source agencies (case-insensitive)")
    min_urgency: int | None = Field(None, ge=1, le=9, description="IPTC urgency 1..N (1 is the most urgent)")
    keywords: frozenset[Keyword] = Field(frozenset(), description="Words or phrases in headline or body")
    verdicts: frozenset[SubscribedVerdict] | None = Field(None, description="Unset: the delivery mode's default")

    @field_validator("verdicts")
    @classmethod
    def _not_empty(cls, value: frozenset[str] | None) -> frozenset[str] | None:
        if value is not None and not value:
            raise ValueError("an empty verdict list matches nothing; leave 'verdicts' out to use the default")
        return value


class Subscription(BaseModel):
    """One subscription: a name, the topic its notifications go to, a filter and a delivery mode."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Unique; part of every notification id")
    topic: str = Field(description="Kafka topic the notifications go to")
    description: str | None = None
    filter: SubscriptionFilter = SubscriptionFilter()
    delivery: Delivery = Field("every_version", description="every_version, or per_cluster (first story + changes)")
    kills: KillPolicy = Field("all", description="all: every kill from the subscribed agencies; matching: filtered")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(
                f"name {value!r} must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        return value

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str) -> str:
        if not _TOPIC.fullmatch(value) or value in (".", ".."):
            raise ValueError(
                f"topic {value!r} is not a legal Kafka topic name: use 1-249 letters, digits, '.', '_' or '-'"
            )
        return value

    @model_validator(mode="after")
    def _delivery_verdicts(self) -> Subscription:
        verdicts = self.filter.verdicts
        if self.delivery == "per_cluster" and verdicts is not None and "near_duplicate" in verdicts:
            raise ValueError(
                "delivery 'per_cluster' never sends near_duplicate copies; remove 'near_duplicate' from "
                "filter.verdicts or use delivery 'every_version'"
            )
        return self

    @property
    def verdicts(self) -> frozenset[str]:
        """The verdicts this subscription is notified of."""
        if self.filter.verdicts is not None:
            return frozenset(self.filter.verdicts)
        return PER_CLUSTER if self.delivery == "per_cluster" else NOTIFIABLE


def notification_id(subscription: str, uri: str, version: int, verdict: str) -> str:
    """Stable id: a redelivered notice carries the same id, so consumers can drop repeats."""
    digest = hashlib.blake2b(f"{subscription}\x1f{uri}\x1f{version}\x1f{verdict}".encode(), digest_size=16)
    return digest.hexdigest()


def check_link_template(template: str) -> str:
    """The template, if it formats with :data:`LINK_FIELDS`; else ``ValueError`` saying what to fix."""
    try:
        template.format_map({"uri": "urn%3Ax", "version": 1, "agency": "TCA"})
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"link template {template!r} does not format ({type(exc).__name__}: {exc}); use only the placeholders "
            + ", ".join("{" + f + "}" for f in LINK_FIELDS)
            + " and write a literal brace as {{ or }}"
        ) from exc
    return template


def link_for(template: str | None, story: EnrichedStory) -> str | None:
    """The story's link from a template such as ``https://wire.example/stories/{uri}`` (values URL-quoted)."""
    if template is None:
        return None
    return template.format_map(
        {"uri": quote(story.uri, safe=""), "version": story.version, "agency": quote(story.agency, safe="")}
    )


# --- keyword matching -------------------------------------------------------------------------------------------


def keyword_text(story: EnrichedStory) -> str:
    """Headline and body paragraphs, one per line, whitespace collapsed, casefolded: what keywords are found in."""
    return "\n".join(" ".join(part.split()) for part in (story.headline, *story.body)).casefold()


@lru_cache(maxsize=8192)
def _keyword_pattern(keywords: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(k) for k in sorted(keywords))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def _is_word(ch: str) -> bool:
    """Python's ``\\w`` for one character (str.isalnum() or underscore)."""
    return ch.isalnum() or ch == "_"


class KeywordIndex:
    """Every keyword of every subscription in one Aho-Corasick automaton: one pass over a story finds them all."""

    def __init__(self, keywords: Iterable[str]) -> None:
        self._automaton: Any = ahocorasick.Automaton()
        for kw in set(keywords):
            self._automaton.add_word(kw, kw)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def found(self, text: str) -> set[str]:
        """Keywords that occur in ``text`` (already casefolded) on word boundaries."""
        hits: set[str] = set()
        if self._empty:
            return hits
        last = len(text) - 1
        for end, kw in self._automaton.iter(text):
            if kw in hits:
                continue
            start = end - len(kw) + 1
            if start > 0 and _is_word(text[start - 1]):
                continue
            if end < last and _is_word(text[end + 1]):
                continue
            hits.add(kw)
        return hits


# --- the reference: one subscription at a time ------------------------------------------------------------------


def matches(story: EnrichedStory, sub: Subscription) -> bool:
    """Does ``story`` match ``sub``? Evaluated directly from the story (the reference semantics)."""
    f = sub.filter
    verdict = story.dedupe.verdict
    if verdict not in sub.verdicts:
        return False
    if f.agencies and story.agency.casefold() not in f.agencies:
        return False
    if verdict == "kill" and sub.kills == "all":
        return True
    if f.countries:
        if f.country_match == "focus":
            if story.focus_country not in f.countries:
                return False
        elif not any(c.code in f.countries for c in story.countries):
            return False
    if f.blocs and not any(b.code.casefold() in f.blocs and (b.explicit or f.bloc_match == "any") for b in story.blocs):
        return False
    if f.min_urgency is not None and (story.urgency is None or story.urgency > f.min_urgency):
        return False
    return not (f.keywords and _keyword_pattern(f.keywords).search(keyword_text(story)) is None)


def notification(story: EnrichedStory, sub: Subscription, link_template: str | None = None) -> Notification:
    return Notification(
        notification_id=notification_id(sub.name, story.uri, story.version, story.dedupe.verdict),
        subscription=sub.name,
        uri=story.uri,
        version=story.version,
        verdict=story.dedupe.verdict,
        headline=story.headline,
        agency=story.agency,
        urgency=story.urgency,
        focus_country=story.focus_country,
        countries=[c.code for c in story.countries],
        blocs=[b.code for b in story.blocs],
        versioncreated=story.versioncreated,
        received_at=story.received_at,
        link=link_for(link_template, story),
    )


def route_naive(
    story: EnrichedStory, subscriptions: Sequence[Subscription], link_template: str | None = None
) -> list[tuple[str, Notification]]:
    """(topic, notification) for every subscription the story matches, checking each subscription in turn."""
    return [(sub.topic, notification(story, sub, link_template)) for sub in subscriptions if matches(story, sub)]


# --- the indexed router -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A subscription flattened for fast checks against precomputed story features."""

    sub: Subscription
    verdicts: frozenset[str]
    agencies: frozenset[str]
    kill_all: bool
    focus: frozenset[str]
    mention: frozenset[str]
    blocs_explicit: frozenset[str]
    blocs_any: frozenset[str]
    min_urgency: int | None
    keywords: frozenset[str]

    @classmethod
    def of(cls, sub: Subscription) -> _Compiled:
        f = sub.filter
        focus = f.countries if f.country_match == "focus" else frozenset()
        explicit = f.blocs if f.bloc_match == "explicit" else frozenset()
        return cls(
            sub=sub,
            verdicts=sub.verdicts,
            agencies=f.agencies,
            kill_all=sub.kills == "all",
            focus=focus,
            mention=f.countries if f.country_match == "mention" else frozenset(),
            blocs_explicit=explicit,
            blocs_any=f.blocs if f.bloc_match == "any" else frozenset(),
            min_urgency=f.min_urgency,
            keywords=f.keywords,
        )


class _Features:
    """What the filters look at, computed once per story."""

    __slots__ = (
        "_hits",
        "_keywords",
        "_story",
        "agency",
        "blocs_any",
        "blocs_explicit",
        "focus",
        "mention",
        "urgency",
        "verdict",
    )

    def __init__(self, story: EnrichedStory, keywords: KeywordIndex) -> None:
        self._story = story
        self._keywords = keywords
        self._hits: set[str] | None = None
        self.verdict: str = story.dedupe.verdict
        self.agency = story.agency.casefold()
        self.focus = story.focus_country
        self.mention = {c.code for c in story.countries}
        self.blocs_any = {b.code.casefold() for b in story.blocs}
        self.blocs_explicit = {b.code.casefold() for b in story.blocs if b.explicit}
        self.urgency = story.urgency

    @property
    def keyword_hits(self) -> set[str]:
        if self._hits is None:
            self._hits = self._keywords.found(keyword_text(self._story))
        return self._hits


def _fast_match(c: _Compiled, s: _Features) -> bool:
    if s.verdict not in c.verdicts:
        return False
    if c.agencies and s.agency not in c.agencies:
        return False
    if c.kill_all and s.verdict == "kill":
        return True
    if c.focus and s.focus not in c.focus:
        return False
    if c.mention and c.mention.isdisjoint(s.mention):
        return False
    if c.blocs_explicit and c.blocs_explicit.isdisjoint(s.blocs_explicit):
        return False
    if c.blocs_any and c.blocs_any.isdisjoint(s.blocs_any):
        return False
    if c.min_urgency is not None and (s.urgency is None or s.urgency > c.min_urgency):
        return False
    return not (c.keywords and c.keywords.isdisjoint(s.keyword_hits))


class Router:
    """Subscriptions indexed by tag. Build once (on start or reload), then :meth:`route` every story."""

    def __init__(self, subscriptions: Iterable[Subscription], link_template: str | None = None) -> None:
        self.subscriptions: tuple[Subscription, ...] = tuple(subscriptions)
        self.link_template = None if link_template is None else check_link_template(link_template)
        self._compiled = tuple(_Compiled.of(s) for s in self.subscriptions)
        self._keywords = KeywordIndex(k for c in self._compiled for k in c.keywords)
        self._focus: dict[str, list[int]] = {}
        self._blocs_explicit: dict[str, list[int]] = {}
        self._mention: dict[str, list[int]] = {}
        self._keyword: dict[str, list[int]] = {}
        self._blocs_any: dict[str, list[int]] = {}
        self._agency: dict[str, list[int]] = {}
        self._unfiltered: list[int] = []
        for pos, c in enumerate(self._compiled):
            # One index per subscription: the first of these filters it sets. A story that matches the
            # subscription necessarily has one of that filter's tags, so the candidates are a superset.
            for values, index in (
                (c.focus, self._focus),
                (c.blocs_explicit, self._blocs_explicit),
                (c.mention, self._mention),
                (c.keywords, self._keyword),
                (c.blocs_any, self._blocs_any),
                (c.agencies, self._agency),
            ):
                if values:
                    for v in values:
                        index.setdefault(v, []).append(pos)
                    break
            else:
                self._unfiltered.append(pos)
        self._kills_everywhere = any(c.kill_all for c in self._compiled)

    def __len__(self) -> int:
        return len(self.subscriptions)

    @property
    def topics(self) -> tuple[str, ...]:
        """Every output topic, each once, in subscription order."""
        return tuple(dict.fromkeys(s.topic for s in self.subscriptions))

    def candidates(self, story: EnrichedStory) -> list[int]:
        """Positions of the subscriptions worth checking for ``story``, in subscription order."""
        s = _Features(story, self._keywords)
        return self._candidates(s)

    def _candidates(self, s: _Features) -> list[int]:
        if s.verdict == "kill" and self._kills_everywhere:
            # Kills bypass content filters; they are rare, so check every subscription.
            return list(range(len(self._compiled)))
        found: set[int] = set(self._unfiltered)
        if s.focus is not None:
            found.update(self._focus.get(s.focus, ()))
        for code in s.mention:
            found.update(self._mention.get(code, ()))
        for code in s.blocs_explicit:
            found.update(self._blocs_explicit.get(code, ()))
        for code in s.blocs_any:
            found.update(self._blocs_any.get(code, ()))
        found.update(self._agency.get(s.agency, ()))
        if self._keyword:
            for kw in s.keyword_hits:
                found.update(self._keyword.get(kw, ()))
        return sorted(found)

    def matching(self, story: EnrichedStory) -> list[Subscription]:
        """The subscriptions ``story`` matches, in subscription order."""
        s = _Features(story, self._keywords)
        compiled = self._compiled
        return [compiled[i].sub for i in self._candidates(s) if _fast_match(compiled[i], s)]

    def matching_scan(self, story: EnrichedStory) -> list[Subscription]:
        """Same as :meth:`matching`, checking every subscription instead of the index's candidates."""
        s = _Features(story, self._keywords)
        return [c.sub for c in self._compiled if _fast_match(c, s)]

    def route(self, story: EnrichedStory) -> list[tuple[str, Notification]]:
        """(topic, notification) for every subscription the story matches, in subscription order."""
        subs = self.matching(story)
        if not subs:
            return []
        base = notification(story, subs[0], self.link_template)
        out = [(subs[0].topic, base)]
        for sub in subs[1:]:
            nid = notification_id(sub.name, story.uri, story.version, story.dedupe.verdict)
            out.append((sub.topic, base.model_copy(update={"notification_id": nid, "subscription": sub.name})))
        return out


def route(
    story: EnrichedStory, subscriptions: Router | Sequence[Subscription], link_template: str | None = None
) -> list[tuple[str, Notification]]:
    """(topic, notification) for every subscription the story matches.

    Pass a :class:`Router` built once; a plain sequence is indexed on every call (fine for a handful).
    """
    router = subscriptions if isinstance(subscriptions, Router) else Router(subscriptions, link_template)
    return router.route(story)


__all__ = [
    "LINK_FIELDS",
    "NOTIFIABLE",
    "PER_CLUSTER",
    "BlocMatch",
    "CountryMatch",
    "Delivery",
    "KeywordIndex",
    "KillPolicy",
    "Router",
    "Subscription",
    "SubscriptionFilter",
    "check_link_template",
    "keyword_text",
    "link_for",
    "matches",
    "notification",
    "notification_id",
    "route",
    "route_naive",
]
