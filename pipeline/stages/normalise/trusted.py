"""A ``Story`` from the values ``finish`` computed, without pydantic's validation when they are plainly valid.

Validating a ``Story`` cost about a tenth of the stage, though ``finish`` has built almost every value itself.
:func:`trusted_story` checks each value against the field's type and constraints with exact type tests (``str``,
``int``, a UTC ``datetime``, the literal sets, the nested models already validated at their own construction) and
then builds the model as ``model_construct`` would, with the same fields set as ``Story(**values)``. Anything it
does not recognise as plainly valid — another type that pydantic would coerce, an aware time in another zone that
it would convert, a value out of range — returns None, and the caller validates as before, so invalid input is
still rejected with pydantic's reason. ``tests/unit/normalise/test_normalise_trusted.py`` checks both paths.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args

from schemas.story import Block, Dateline, PubStatus, Signal, SourceFormat, Story, Subject, body_of

_PUBSTATUS = frozenset(get_args(PubStatus))
_SIGNALS = frozenset(get_args(Signal))
_SOURCE_FORMATS = frozenset(get_args(SourceFormat))
#: The fields ``finish`` passes, in declaration order; ``schema_version`` takes its default and is not "set".
FIELDS = tuple(name for name in Story.model_fields if name != "schema_version")
_set = object.__setattr__


def _utc(value: Any) -> bool:
    return type(value) is datetime and value.tzinfo is UTC


def _optional_str(value: Any) -> bool:
    return value is None or type(value) is str


def _str_list(values: Any) -> bool:
    return type(values) is list and all(type(v) is str for v in values)


def _blocks(blocks: Any, body: list[str]) -> bool:
    """Blocks already validated at their construction whose plain text is the body (the model's own check)."""
    return type(blocks) is list and all(type(b) is str or type(b) is Block for b in blocks) and body_of(blocks) == body


def _plainly_valid(v: dict[str, Any]) -> bool:
    return (
        type(v["uri"]) is str and v["uri"] != ""
        and type(v["version"]) is int and v["version"] >= 1
        and type(v["agency"]) is str and v["agency"] != ""
        and type(v["headline"]) is str and v["headline"] != ""
        and _str_list(v["body"]) and len(v["body"]) >= 1
        and (v["blocks"] is None or _blocks(v["blocks"], v["body"]))
        and _optional_str(v["byline"])
        and _optional_str(v["byline_title"])
        and _optional_str(v["ednote"])
        and (v["dateline"] is None or type(v["dateline"]) is Dateline)
        and _optional_str(v["language"])
        and (v["firstcreated"] is None or _utc(v["firstcreated"]))
        and _utc(v["versioncreated"])
        and (v["embargoed"] is None or _utc(v["embargoed"]))
        and type(v["pubstatus"]) is str and v["pubstatus"] in _PUBSTATUS
        and type(v["signals"]) is list and all(type(s) is str and s in _SIGNALS for s in v["signals"])
        and (v["urgency"] is None or (type(v["urgency"]) is int and 1 <= v["urgency"] <= 9))
        and type(v["subjects"]) is list and all(type(s) is Subject for s in v["subjects"])
        and _str_list(v["keywords"])
        and type(v["source_format"]) is str and v["source_format"] in _SOURCE_FORMATS
        and type(v["content_hash"]) is str
        and type(v["submission_id"]) is str
        and _utc(v["received_at"])
    )  # fmt: skip


def trusted_story(values: dict[str, Any]) -> Story | None:
    """The ``Story`` of ``values`` (every field of :data:`FIELDS`), or None when they need pydantic's validation."""
    if values.keys() != _FIELD_SET or not _plainly_valid(values):
        return None
    story = Story.__new__(Story)
    _set(story, "__dict__", {"schema_version": 1, **values})
    _set(story, "__pydantic_fields_set__", set(FIELDS))
    _set(story, "__pydantic_extra__", None)
    _set(story, "__pydantic_private__", None)
    return story


_FIELD_SET = frozenset(FIELDS)
