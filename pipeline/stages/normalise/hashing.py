"""The one definition of ``Story.content_hash``."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence

from pipeline.stages.normalise.cleaning import clean_inline


def content_hash(headline: str, body: Sequence[str]) -> str:
    """sha256 hex over the NFC, whitespace-folded headline and body paragraphs.

    Each part is NFC-normalised, stripped of control characters and has its whitespace runs folded to
    one space; empty paragraphs are skipped; the parts are joined with LF and hashed as UTF-8. Two
    stories with the same words in the same paragraphs hash the same whatever their source format.
    """
    parts = [clean_inline(headline)]
    parts.extend(c for p in body if (c := clean_inline(p)))
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def content_hash_cleaned(headline: str, body: Sequence[str], fixed: Collection[str]) -> str:
    """:func:`content_hash` when the parts in ``fixed`` are known to be their own ``clean_inline``.

    Those are hashed as they are; every other part is cleaned as :func:`content_hash` does. Same result.
    """
    parts = [headline if headline in fixed else clean_inline(headline)]
    for p in body:
        if p and p in fixed:  # content_hash skips empty paragraphs
            parts.append(p)
        elif c := clean_inline(p):
            parts.append(c)
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()
