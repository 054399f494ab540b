"""Shared field types for the message contracts."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema


def _decode_bytes(value: Any) -> bytes:
    """Accept raw bytes (in-process) or standard base64 text (from JSON on the wire)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise ValueError("expected standard base64 text") from exc
    raise TypeError("expected bytes or base64 text")


def _encode_bytes(value: bytes, info: Any) -> bytes | str:
    if info.mode_is_json():
        return base64.b64encode(value).decode("ascii")
    return value


#: Opaque bytes. In JSON they travel as standard base64 (RFC 4648 §4) text.
WireBytes = Annotated[
    bytes,
    BeforeValidator(_decode_bytes),
    PlainSerializer(_encode_bytes, when_used="always"),
    WithJsonSchema({"type": "string", "contentEncoding": "base64"}),
]


def _to_utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


#: A timezone-aware instant, always normalised to UTC.
UtcDatetime = Annotated[AwareDatetime, BeforeValidator(_to_utc)]

#: ISO 3166-1 alpha-2 code (plus the user-assigned XK for Kosovo).
CountryCode = Annotated[str, WithJsonSchema({"type": "string", "pattern": "^[A-Z]{2}$"})]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Contract:
    """Common model configuration for every wire contract."""

    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=False)
