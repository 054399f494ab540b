"""Hand-built EnrichedStory objects for the routing tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from schemas import BlocTag, CountryTag, DedupeInfo, EnrichedStory

T0 = datetime(2017, 11, 29, 9, 30, tzinfo=UTC)


def make_story(
    *,
    uri: str = "urn:wirefeed:tca:kg-president",
    version: int = 1,
    agency: str = "TCA",
    headline: str = "Kyrgyzstan's new president vows to strengthen 'strategic partnership' with Russia",
    body: Sequence[str] = (
        "Kyrgyzstan's new president Sooronbay Jeenbekov said on Tuesday the country would deepen ties with Russia.",
        "Kyrgyzstan joined the Eurasian Economic Union in 2015.",
    ),
    verdict: str = "new",
    cluster_id: str = "cluster-1",
    countries: Sequence[str] = ("KG", "RU"),
    focus: str | None = "KG",
    blocs: Sequence[tuple[str, bool]] = (("EAEU", True),),
    urgency: int | None = 4,
    signals: Sequence[str] = (),
) -> EnrichedStory:
    return EnrichedStory(
        uri=uri,
        version=version,
        agency=agency,
        headline=headline,
        body=list(body),
        versioncreated=T0,
        signals=list(signals),
        pubstatus="canceled" if verdict == "kill" else "usable",
        urgency=urgency,
        source_format="text",
        content_hash="0" * 64,
        submission_id=f"{uri}#{version}",
        received_at=T0,
        countries=[CountryTag(code=c, name=c, mentions=1, score=1.0 if c == focus else 0.5) for c in countries],
        focus_country=focus,
        blocs=[BlocTag(code=code, name=code, explicit=explicit) for code, explicit in blocs],
        dedupe=DedupeInfo(verdict=verdict, cluster_id=cluster_id),  # type: ignore[arg-type]
        enriched_at=T0,
    )
