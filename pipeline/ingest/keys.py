"""Agency API keys: generation, parsing, hashing and constant-time verification (pure, no I/O).

A key looks like ``wf_<key_id>_<secret>``:

- ``key_id`` — 16 lowercase base32 characters, public, used to look the key up in the store;
- ``secret`` — 32 random bytes, URL-safe base64 (43 characters), never stored.

The store keeps only ``<role>:sha256$<hex>`` of the secret. The secret carries 256 bits of entropy, so a fast
hash is enough (slow password hashes such as bcrypt exist to protect low-entropy human passwords). The full key
is shown once, when it is created.

Every key has one role, recorded with its hash (a record written before roles existed, ``sha256$<hex>``, is an
agency key):

- ``agency`` — submits stories under its own name, reads stories and its own rejections;
- ``reader`` — reads stories and clusters;
- ``operator`` — reads everything, the operator pages and ``/metrics``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal, get_args

PREFIX = "wf"
KEY_ID_LENGTH = 16
SECRET_BYTES = 32
HASH_SCHEME = "sha256"
_KEY_ID_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz234567")
_SECRET_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
Role = Literal["agency", "reader", "operator"]
ROLES: tuple[Role, ...] = get_args(Role)
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


def hash_secret(secret: str, role: Role = "agency") -> str:
    """The stored record of a secret: its role and its SHA-256, ``<role>:sha256$<hex>``."""
    return f"{role}:{HASH_SCHEME}${hashlib.sha256(secret.encode('utf-8')).hexdigest()}"


def role_of(key_hash: str) -> Role | None:
    """The role recorded with a stored hash; None when the record names no known role."""
    role, sep, _ = key_hash.partition(":")
    if not sep:
        return "agency"  # recorded before keys had roles: every such key was an agency's
    return next((r for r in ROLES if r == role), None)


def generate_key(role: Role = "agency") -> NewKey:
    key_id = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()[:KEY_ID_LENGTH]
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return NewKey(key_id=key_id, token=f"{PREFIX}_{key_id}_{secret}", key_hash=hash_secret(secret, role))


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
    """Constant-time comparison of the secret's hash with the stored one (whatever role it records)."""
    _role, _, record = key_hash.rpartition(":")
    scheme, _, digest = record.partition("$")
    if scheme != HASH_SCHEME:
        return False
    presented = hashlib.sha256(secret.encode("utf-8")).hexdigest()
    return hmac.compare_digest(presented.encode("ascii"), digest.encode("ascii", "replace"))
