"""Notification routing: which subscriptions a story matches, and the compact Notification each one gets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from schemas import EnrichedStory, Notification

#: Verdicts that reach subscribers (duplicates never reach `wire.enriched`; stale versions never pass dedupe).
NOTIFIABLE = frozenset({"new", "update", "correction", "kill", "near_duplicate"})


@dataclass(frozen=True, slots=True)
class Subscription:
    name: str
    topic: str
    #: Empty filters match everything.
    countries: frozenset[str] = frozenset()
    blocs: frozenset[str] = frozenset()
    agencies: frozenset[str] = frozenset()
    verdicts: frozenset[str] = NOTIFIABLE


def notification_id(subscription: str, uri: str, version: int, verdict: str) -> str:
    """Stable id: a redelivered notice carries the same id, so consumers can drop repeats."""
    digest = hashlib.blake2b(f"{subscription}\x1f{uri}\x1f{version}\x1f{verdict}".encode(), digest_size=16)
    return digest.hexdigest()


def matches(story: EnrichedStory, sub: Subscription) -> bool:
    if story.dedupe.verdict not in sub.verdicts:
        return False
    if sub.agencies and story.agency not in sub.agencies:
        return False
    if sub.countries and not sub.countries.intersection(c.code for c in story.countries):
        return False
    return not (sub.blocs and not sub.blocs.intersection(b.code for b in story.blocs))


def notification(story: EnrichedStory, sub: Subscription) -> Notification:
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
    )


def route(story: EnrichedStory, subscriptions: tuple[Subscription, ...]) -> list[tuple[str, Notification]]:
    """(topic, notification) for every subscription the story matches."""
    return [(sub.topic, notification(story, sub)) for sub in subscriptions if matches(story, sub)]
