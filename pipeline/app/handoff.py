"""Models one stage loop of a worker encoded for another loop of the same worker, handed over without a decode.

The dedupe loop builds each `wire.enriched` story as an ``EnrichedStory`` and sends its encoding; with one worker,
the store loop of the same process reads those very bytes back moments later and validated them again (pydantic,
~40 µs a story, the nested country tags most of it). The dedupe loop now also leaves the model here, keyed by the
exact bytes it sent, and the store loop takes it when a record's value is byte for byte one of them.

Why that skips nothing that needs checking: the bytes are ``encode(model)`` of a model the enrich stage built in
this process from a validated story (its trusted builders give models that dump and validate exactly as validated
ones do, ``tests/unit/enrich/test_enrich_trusted.py``), so decoding them would give that model again. Any other
record (sent by another worker, by an earlier run of this one, or by anything else that can write the topic) is not
found here and is validated as before. Entries that are never taken (the store loop of another worker holds their
partition) are dropped oldest first once ``size`` are kept.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

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
