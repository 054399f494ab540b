"""Models one stage loop of a worker encoded for another loop of the same worker, handed over without a decode.

The normalise loop sends each story to `wire.normalised` and the dedupe loop sends each enriched story to
`wire.enriched`; with one worker, the dedupe and store loops of the same process read those very bytes back moments
later and validated them again (pydantic: ~10 µs a ``Story``, ~40 µs an ``EnrichedStory``, its nested country tags
most of it). The sending loop now also leaves the model here, keyed by the exact bytes it sent, and the reading loop
takes it when a record's value is byte for byte one of them.

Why that skips nothing that needs checking: the bytes are ``encode(model)`` of a model this process built from a
validated submission (normalise) or a validated story (enrich, whose trusted builders give models equal to
validated ones, ``tests/unit/enrich/test_enrich_trusted.py``), so decoding them would give an equal model again
(``tests/unit/test_handoff.py``). Any other record (sent by another worker, by an earlier run of this one, or by
anything else that can write the topic) is not found here and is validated as before. Entries that are never taken
(another worker reads their partition, or the reading loop is far behind) are dropped oldest first once ``size``
are kept; such a record is then validated.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from schemas import EnrichedStory, Story

M = TypeVar("M")


class Handoff(Generic[M]):
    """Models keyed by the exact bytes they were sent as; each is taken at most once."""

    __slots__ = ("models", "size")

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self.models: OrderedDict[bytes, M] = OrderedDict()

    def put(self, value: bytes, model: M) -> None:
        """Keep ``model``, sent as ``value``; the oldest entry goes when ``size`` are kept."""
        self.models[value] = model
        if len(self.models) > self.size:
            self.models.popitem(last=False)

    def take(self, value: bytes) -> M | None:
        """The model sent as exactly ``value``, if this process sent it and it was not taken yet."""
        return self.models.pop(value, None)

    def __len__(self) -> int:
        return len(self.models)


@dataclass
class Handoffs:
    """A worker's hand-offs between its own stage loops."""

    #: Stories the normalise loop sent to `wire.normalised`, for the dedupe loop.
    normalised: Handoff[Story] = field(default_factory=Handoff)
    #: Enriched stories the dedupe loop sent to `wire.enriched`, for the store loop.
    enriched: Handoff[EnrichedStory] = field(default_factory=Handoff)
