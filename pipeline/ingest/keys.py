"""Agency API keys: generation, parsing, hashing and constant-time verification (pure, no I/O).

A key looks like ``wf_<key_id>_<secret>``:

- ``key_id`` — 16 lowercase base32 characters, public, used to look the key up in the store;
- ``secret`` — 32 random bytes, URL-safe base64 (43 characters), never stored.

The store keeps only ``sha256$<hex>`` of the secret. The secret carries 256 bits of entropy, so a fast hash
is enough (slow password hashes such as bcrypt exist to protect low-entropy human passwords). The full key is
shown once, when it is created.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX = "wf"
KEY_ID_LENGTH = 16
SECRET_BYTES = 32
HASH_SCHEME = "sha256"
_KEY_ID_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz234567")
_SECRET_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
#: Longest text accepted as a key before any parsing (guards the parser against huge headers).
MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class NewKey:
    """A freshly generated key. ``token`` is what the agency uses; show it once, store ``key_hash``."""

    key_id: str
    token: str
    key_hash: str


@dataclass(frozen=True, slots=True)
class ParsedKey:
    key_id: str
    secret: str


def hash_secret(secret: str) -> str:
    return f"{HASH_SCHEME}${hashlib.sha256(secret.encode('utf-8')).hexdigest()}"


def generate_key() -> NewKey:
    key_id = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()[:KEY_ID_LENGTH]
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return NewKey(key_id=key_id, token=f"{PREFIX}_{key_id}_{secret}", key_hash=hash_secret(secret))


def parse_key(token: str) -> ParsedKey | None:
    """Split a presented key into id and secret; None when it is not of the wirefeed form."""
    if len(token) > MAX_KEY_LENGTH:
        return None
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    _, key_id, secret = parts
    if len(key_id) != KEY_ID_LENGTH or not set(key_id) <= _KEY_ID_ALPHABET:
        return None
    if len(secret) < 32 or not set(secret) <= _SECRET_ALPHABET:
        return None
    return ParsedKey(key_id=key_id, secret=secret)


def verify_secret(secret: str, key_hash: str) -> bool:
    """Constant-time comparison of the secret's hash with the stored one."""
    scheme, _, _digest = key_hash.partition("$")
    if scheme != HASH_SCHEME:
        return False
    return hmac.compare_digest(hash_secret(secret).encode("ascii"), key_hash.encode("ascii"))
