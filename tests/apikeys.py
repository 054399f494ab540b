"""Issue real API keys in a real store for tests of the HTTP API."""

from __future__ import annotations

from typing import Any

from pipeline.api.auth import Authenticator
from pipeline.config import Settings
from pipeline.ingest.keys import Role, generate_key


async def issue_key(store: Any, name: str, role: Role = "agency") -> str:
    """Store a new key of ``role`` for ``name`` (its hash only) and return the token."""
    key = generate_key(role)
    await store.add_agency_key(name, key.key_id, key.key_hash)
    return key.token


def authenticator(store: Any, settings: Settings | None = None) -> Authenticator:
    return Authenticator(settings or Settings(), store)
