"""orjson wire encoding for every contract. One place, so every topic encodes the same way."""

from __future__ import annotations

from typing import TypeVar

import orjson
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def encode(model: BaseModel) -> bytes:
    """Model → JSON bytes (bytes fields as base64, datetimes as RFC 3339 UTC)."""
    return orjson.dumps(model.model_dump(mode="json"))


def decode(contract: type[M], data: bytes | str) -> M:
    """JSON bytes → validated model. Raises ``orjson.JSONDecodeError`` or ``pydantic.ValidationError``."""
    return contract.model_validate(orjson.loads(data))


def encode_key(key: str | None) -> bytes | None:
    return None if key is None else key.encode("utf-8")
