"""Text fingerprints for dedupe: normalised text without boilerplate, 64-bit SimHash over word shingles.

The SimHash is computed without a per-shingle Python loop:

1. every distinct word gets three independent 64-bit hashes (blake2b, memoised), one per shingle position;
2. the per-position hash sequences are joined into three big integers and XOR-ed with a 64-bit shift between
   them, which yields the hash of every 3-word shingle ``h0(w[i]) ^ h1(w[i+1]) ^ h2(w[i+2])`` in one operation;
3. bit counts per position come from ``int.bit_count`` over byte-strided slices of those shingle hashes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from hashlib import blake2b

from schemas import Story

#: Words per shingle.
SHINGLE = 3
#: Below this many words the headline is fingerprinted together with the body.
MIN_BODY_WORDS = 12
_MAX_MEMO = 500_000

_WORD = re.compile(r"\w+")
# A dateline at the start of the body, as agencies print it: "BISHKEK (TCA) —", "GROSSETO, Italy (AP) --",
# "Gaza City, Palestinian Territories, May 16, 2021 (AFP) -", "BISHKEK, Nov 29 (TCA) -".
_DATELINE = re.compile(r"^\s*[^\s()][^()\n]{0,80}?\((?:[A-Za-z][\w.&' -]{0,30})\)\s*(?:[-–—]{1,2}|:)\s+")
# Paragraphs that are page or agency furniture, not story text.
_BOILERPLATE = re.compile(
    r"""^\s*(?:
        \(?\s*(?:reporting|writing|editing|additional\ reporting|compiled)\ by\b.*
      | \(?\s*(?:©|\(c\)|copyright\b).*
      | .*\ball\ rights\ reserved\b.*
      | view\ more\ articles\b.*
      | (?:read|see)\ (?:more|also)\b.{0,80}
      | (?:follow|sign\ up|subscribe)\b.{0,80}
      | divider | ends? | -+\ ?more\ ?-+ | \#{1,3} | \(end\) | \[?end\]?
      | https?://\S+
      | [a-z]{2,5}(?:-[a-z]{2,5})+\s*/\s*[a-z]{2,5}(?:-[a-z]{2,5})*   # AFP/AP desk codes: bur-dar-gl/fz
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


#: Furniture paragraphs are short; longer paragraphs are never tested against ``_BOILERPLATE``.
_BOILERPLATE_MAX = 160


class _WordHashes(dict[str, bytes]):
    """word → 8-byte hash for one shingle position; misses are filled for all positions at once."""

    __slots__ = ("siblings",)

    def __missing__(self, word: str) -> bytes:
        if len(self) > _MAX_MEMO:
            for table in _POSITIONS:
                table.clear()
        digest = blake2b(word.encode("utf-8"), digest_size=8 * SHINGLE, person=b"wirefeed-dedupe").digest()
        for i, table in enumerate(_POSITIONS):
            dict.__setitem__(table, word, digest[8 * i : 8 * i + 8])
        return dict.__getitem__(self, word)


_POSITIONS: tuple[_WordHashes, ...] = tuple(_WordHashes() for _ in range(SHINGLE))


def strip_boilerplate(paragraphs: list[str], dateline: str | None = None) -> list[str]:
    """Paragraphs without page/agency furniture and without a leading dateline."""
    kept = [p for p in paragraphs if p.strip() and (len(p) > _BOILERPLATE_MAX or not _BOILERPLATE.match(p))]
    if kept:
        first = kept[0].lstrip()
        if dateline and first.startswith(dateline.strip()):
            first = first[len(dateline.strip()) :]
        else:
            first = _DATELINE.sub("", first, count=1)
        kept[0] = first
    return kept


def words(text: str) -> list[str]:
    """NFKC, case-folded word tokens (letters and digits of any script)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def story_words(story: Story) -> list[str]:
    """The word sequence a story's fingerprint is computed from: body without boilerplate, headline if short."""
    body = words("\n".join(strip_boilerplate(story.body, story.dateline.text if story.dateline else None)))
    if len(body) < MIN_BODY_WORDS:
        return words(story.headline) + body
    return body


@lru_cache(maxsize=64)
def _bit_masks(n: int) -> tuple[int, ...]:
    """For n bytes: eight ints, the i-th with bit i of every byte set."""
    return tuple(int.from_bytes(bytes([1 << b]) * n, "big") for b in range(8))


def _shingle_hashes(tokens: list[str]) -> bytes:
    """8 bytes per word ``SHINGLE``-gram of ``tokens`` (one gram of all words if there are fewer)."""
    n = len(tokens)
    k = min(SHINGLE, n)
    m = n - k + 1  # shingles
    acc = 0
    for pos in range(k):
        seq = int.from_bytes(b"".join(map(_POSITIONS[pos].__getitem__, tokens)), "big")
        acc ^= seq << (64 * pos)
    # keep the m complete shingles: drop the k-1 low slots (incomplete tails) and the spill above n slots
    acc = (acc >> (64 * (k - 1))) & ((1 << (64 * m)) - 1)
    return acc.to_bytes(8 * m, "big")


def _simhash(hashes: bytes) -> int:
    m = len(hashes) // 8
    half = m / 2
    masks = _bit_masks(m) if m <= 4096 else tuple(int.from_bytes(bytes([1 << b]) * m, "big") for b in range(8))
    fp = 0
    for byte in range(8):
        column = int.from_bytes(hashes[byte::8], "big")
        shift = 8 * (7 - byte)
        for bit in range(8):
            if (column & masks[bit]).bit_count() > half:
                fp |= 1 << (shift + bit)
    return fp


def simhash_words(tokens: list[str]) -> int:
    """64-bit SimHash over the word ``SHINGLE``-grams of ``tokens``."""
    return _simhash(_shingle_hashes(tokens)) if tokens else 0


def fingerprint(story: Story) -> int:
    """64-bit SimHash over word shingles of the story's normalised text without boilerplate."""
    return simhash_words(story_words(story))


@dataclass(frozen=True, slots=True)
class Sketch:
    """What dedupe remembers of a text: its SimHash and the smallest shingle hashes of its lead."""

    simhash: int
    #: The ``lead_keys`` smallest 8-byte shingle hashes among the first ``lead_shingles`` shingles, ascending.
    lead: tuple[bytes, ...]


def sketch_words(tokens: list[str], lead_shingles: int = 60, lead_keys: int = 8) -> Sketch:
    if not tokens:
        return Sketch(0, ())
    hashes = _shingle_hashes(tokens)
    head = hashes[: 8 * lead_shingles]
    lead = tuple(sorted({head[i : i + 8] for i in range(0, len(head), 8)})[:lead_keys])
    return Sketch(_simhash(hashes), lead)


def sketch(story: Story, lead_shingles: int = 60, lead_keys: int = 8) -> Sketch:
    return sketch_words(story_words(story), lead_shingles, lead_keys)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()
