"""Gathering the near part's answers for a story that waits on its uri partition (pure).

A new uri's verdict needs one answer per bucket key its probe visits. Until they are all in, the story waits in a
``Waiting`` entry (kept by the shell in a changelog-backed table, so a restart does not lose it); the entry is a
plain dict of str / list values so it travels as orjson.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.stages.dedupe.index import Candidate, Decision, DedupeConfig, NearProbe, UriOutcome, combine, relinks


def waiting_entry(story_json: str, outcome: UriOutcome) -> dict[str, Any]:
    """What a story waiting for its answers keeps: itself, its cluster so far, its probe, the answers so far."""
    if outcome.near is None or not outcome.wait_for_near:
        raise ValueError("only a uri never seen waits for the near part's answers")
    return {"story": story_json, "cluster": outcome.cluster, "near": outcome.near.to_wire(), "answers": {}}


def probe_of(entry: dict[str, Any]) -> NearProbe:
    return NearProbe.from_wire(entry["near"])


def with_answer(entry: dict[str, Any], key: str, candidates: list[Any]) -> tuple[dict[str, Any], bool]:
    """The entry with one bucket's answer added (a repeated answer replaces the earlier one), and whether every
    bucket of the probe has now answered."""
    answers = {**entry["answers"], key: candidates}
    return {**entry, "answers": answers}, len(answers) >= len(probe_of(entry).keys)


@dataclass(frozen=True)
class Gathered:
    decision: Decision
    outcome: UriOutcome
    #: Bucket keys whose stored entry of the story must be relinked to ``decision.info.cluster_id``.
    relink: tuple[str, ...]


def decide(entry: dict[str, Any], story: Any, config: DedupeConfig = DedupeConfig()) -> Gathered:
    """The verdict of a story whose buckets have all answered."""
    outcome = UriOutcome(None, entry["cluster"], near=probe_of(entry))
    candidates = [Candidate.from_wire(c) for cands in entry["answers"].values() for c in cands]
    return conclude(outcome, candidates, story, config)


def conclude(outcome: UriOutcome, candidates: Iterable[Candidate], story: Any,
             config: DedupeConfig = DedupeConfig()) -> Gathered:
    """The verdict of a new uri (``outcome`` waits for the near part) from every bucket's candidates together:
    :func:`decide` without the waiting entry, for a story whose buckets all answered in the step that probed
    them."""
    decision = combine(story, outcome, candidates, config)
    return Gathered(decision, outcome, relinks(outcome, decision))
