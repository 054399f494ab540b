"""Helpers for the enrich tests: build a Story by hand from text."""

from __future__ import annotations

from datetime import UTC, date, datetime

from schemas import Dateline, DedupeInfo, Story
from tests.paths import SAMPLES, SEED

__all__ = ["DEDUPE", "SAMPLES", "SEED", "make_story", "seed_story"]

DEDUPE = DedupeInfo(verdict="new", cluster_id="c-1")


def make_story(
    headline: str,
    *body: str,
    dateline: str | None = None,
    place: str | None = None,
    country: str | None = None,
    on: date = date(2025, 6, 1),
    language: str | None = "en",
    byline: str | None = None,
) -> Story:
    when = datetime(on.year, on.month, on.day, 12, tzinfo=UTC)
    return Story(
        uri=f"urn:test:{abs(hash((headline, body)))}",
        agency="TEST",
        headline=headline,
        body=list(body) or [headline],
        byline=byline,
        dateline=Dateline(text=dateline, place=place, country=country) if dateline is not None else None,
        language=language,
        versioncreated=when,
        source_format="text",
        content_hash="0" * 64,
        submission_id="sub-1",
        received_at=when,
    )


def seed_story() -> Story:
    """The seed story built by hand: headline line 1, body from 'During his first…' to '…the United States.'."""
    paragraphs = [ln for ln in SEED.read_text("utf-8").splitlines() if ln.strip()]
    first = next(i for i, p in enumerate(paragraphs) if p.startswith("BISHKEK (TCA) — "))
    last = next(i for i, p in enumerate(paragraphs) if p.endswith("the United States."))
    body = paragraphs[first : last + 1]
    body[0] = body[0].removeprefix("BISHKEK (TCA) — ")
    return make_story(
        paragraphs[0], *body, dateline="BISHKEK (TCA) —", place="Bishkek", on=date(2017, 11, 30), byline="Sergey Kwan"
    )
