"""Hand-built EnrichedStory test data."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from schemas import DuplicateRecord, EnrichedStory, Rejection
from schemas.enriched import Verdict
from schemas.rejection import ReasonCode, Stage
from schemas.story import PubStatus, Signal

T0 = datetime(2017, 11, 28, 9, 0, tzinfo=UTC)

NAMES = {
    "KG": "Kyrgyzstan", "RU": "Russia", "KZ": "Kazakhstan", "CN": "China", "US": "United States",
    "DE": "Germany", "FR": "France", "BR": "Brazil",
}  # fmt: skip
BLOCS = {"EAEU": "Eurasian Economic Union", "EU": "European Union", "SCO": "Shanghai Cooperation Organisation"}


def story(
    uri: str,
    version: int = 1,
    *,
    agency: str = "TCA",
    headline: str = "Kyrgyzstan's new president vows to strengthen strategic partnership with Russia",
    body: Sequence[str] = ("The president met officials in Bishkek.",),
    minutes: float = 0,
    countries: Sequence[str] = ("KG", "RU"),
    focus: str | None = "KG",
    blocs: Sequence[str] = ("EAEU",),
    verdict: Verdict = "new",
    cluster: str | None = None,
    signals: Sequence[Signal] = (),
    pubstatus: PubStatus = "usable",
) -> EnrichedStory:
    """A story; ``minutes`` after T0 is its versioncreated."""
    at = T0 + timedelta(minutes=minutes)
    return EnrichedStory.model_validate(
        {
            "uri": uri,
            "version": version,
            "agency": agency,
            "headline": headline,
            "body": list(body),
            "language": "en",
            "versioncreated": at,
            "firstcreated": T0,
            "pubstatus": pubstatus,
            "signals": list(signals),
            "urgency": 3,
            "source_format": "text",
            "content_hash": hashlib.sha256(f"{uri}|{version}|{headline}".encode()).hexdigest(),
            "submission_id": f"sub-{uri}-{version}",
            "received_at": at + timedelta(seconds=5),
            "countries": [
                {"code": c, "name": NAMES[c], "mentions": 1, "score": 0.5, "cues": ["name"]} for c in countries
            ],
            "focus_country": focus,
            "blocs": [{"code": b, "name": BLOCS[b], "explicit": False, "members": list(countries)} for b in blocs],
            "dedupe": {"verdict": verdict, "cluster_id": cluster or f"cl-{uri}"},
            "enriched_at": at + timedelta(seconds=6),
        }
    )


def kill(uri: str, version: int, *, minutes: float = 60, how: str = "verdict", agency: str = "TCA") -> EnrichedStory:
    """A kill notice, flagged by dedupe verdict, by signal, or by pubstatus; from the agency that owns the uri."""
    return story(
        uri,
        version,
        agency=agency,
        headline="KILL: story withdrawn",
        body=("This story has been withdrawn. Do not use.",),
        minutes=minutes,
        verdict="kill" if how == "verdict" else "update",
        signals=("kill",) if how == "signal" else (),
        pubstatus="canceled" if how == "pubstatus" else "usable",
    )


def duplicate(uri: str, cluster: str, *, version: int = 1, agency: str = "AKI", minutes: float = 1) -> DuplicateRecord:
    return DuplicateRecord(
        uri=uri,
        version=version,
        agency=agency,
        submission_id=f"sub-{uri}-{version}",
        headline="Copy of the story",
        content_hash="0" * 64,
        verdict="duplicate",
        duplicate_of=f"{cluster}@1",
        cluster_id=cluster,
        similarity=1.0,
        detected_at=T0 + timedelta(minutes=minutes),
    )


def rejection(
    submission_id: str | None, *, stage: Stage = "normalise", reason: ReasonCode = "malformed_xml",
    original: bytes = b"<nitf><broken", minutes: float = 0,
) -> Rejection:  # fmt: skip
    return Rejection(
        stage=stage,
        reason=reason,
        message="unclosed tag at line 1",
        submission_id=submission_id,
        agency="TCA",
        rejected_at=T0 + timedelta(minutes=minutes),
        original=original,
    )
