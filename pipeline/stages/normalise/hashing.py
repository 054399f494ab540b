"""The one definition of ``Story.content_hash``."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

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
