"""wirefeed message contracts: one pydantic v2 model per topic message.

The JSON Schema exports in ``schemas/json/`` are generated from these models by
``python -m schemas.export`` and checked by the test suite.
"""

from pydantic import BaseModel

from schemas._types import UtcDatetime, WireBytes, utcnow
from schemas.dedupe import NearAnswer, NearRequest
from schemas.enriched import BlocTag, CountryTag, DedupeInfo, DuplicateRecord, EnrichedStory, Span, Verdict
from schemas.notification import Notification
from schemas.raw import FormatHint, RawSubmission
from schemas.rejection import ReasonCode, Rejection, Stage
from schemas.story import Dateline, PubStatus, Signal, SourceFormat, Story, Subject

#: Every contract that travels on a topic, by export file name.
CONTRACTS: dict[str, type[BaseModel]] = {
    "RawSubmission": RawSubmission,
    "Story": Story,
    "EnrichedStory": EnrichedStory,
    "DuplicateRecord": DuplicateRecord,
    "Notification": Notification,
    "Rejection": Rejection,
    "NearRequest": NearRequest,
    "NearAnswer": NearAnswer,
}

__all__ = [
    "CONTRACTS",
    "BlocTag",
    "CountryTag",
    "Dateline",
    "DedupeInfo",
    "DuplicateRecord",
    "EnrichedStory",
    "FormatHint",
    "NearAnswer",
    "NearRequest",
    "Notification",
    "PubStatus",
    "RawSubmission",
    "ReasonCode",
    "Rejection",
    "Signal",
    "SourceFormat",
    "Span",
    "Stage",
    "Story",
    "Subject",
    "UtcDatetime",
    "Verdict",
    "WireBytes",
    "utcnow",
]
