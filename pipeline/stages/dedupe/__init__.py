"""Dedupe stage: exact resends, versions and near-duplicates, over mapping-backed state (see docs/dedupe.md)."""

from pipeline.stages.dedupe.index import (
    Candidate,
    Decision,
    DedupeConfig,
    DedupeIndex,
    DedupeState,
    NearIndex,
    NearProbe,
    UriIndex,
    UriOutcome,
    best_candidate,
    combine,
    decide_uri,
    next_seen,
    relinks,
    uri_id,
)
from pipeline.stages.dedupe.simhash import Sketch, fingerprint, hamming, sketch, story_words

__all__ = [
    "Candidate",
    "Decision",
    "DedupeConfig",
    "DedupeIndex",
    "DedupeState",
    "NearIndex",
    "NearProbe",
    "Sketch",
    "UriIndex",
    "UriOutcome",
    "best_candidate",
    "combine",
    "decide_uri",
    "fingerprint",
    "hamming",
    "next_seen",
    "relinks",
    "sketch",
    "story_words",
    "uri_id",
]
