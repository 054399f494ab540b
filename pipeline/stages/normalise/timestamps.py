"""Feed timestamps → aware UTC datetimes. A timestamp without an offset is read in the agency's zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.stages.errors import StageError

_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")
#: The year field of a format template (``YYYY-MM-DD``, ``yyyyMMdd``): never part of a real timestamp.
_PLACEHOLDER = re.compile(r"YYYY|yyyy")


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise StageError("schema_violation", f"unknown timezone {name!r} in the agency profile") from exc


def parse_timestamp(value: str | None, tz: str, where: str) -> datetime | None:
    """ISO 8601 (extended or basic, e.g. ``20210516T080625Z``) or RFC 2822 text → UTC datetime.

    Empty or missing values give None, and so does a template placeholder an editing system left unfilled
    (``YYYYMMDD000000-HHMM``): it says no time was set. Any other value that is not a timestamp raises
    ``schema_violation`` naming ``where``. A value without an offset is taken as wall time in ``tz``.
    """
    if value is None:
        return None
    text = value.strip()
    if not text or _PLACEHOLDER.search(text):
        return None
    parsed: datetime | None = None
    candidate = text.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", text) else text
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(_COMPACT_OFFSET.sub(r"\1:\2", candidate))
        except ValueError:
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                parsed = None
    if parsed is None:
        raise StageError("schema_violation", f"{where}: {value[:60]!r} is not a timestamp")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(tz))
    return parsed.astimezone(UTC)
