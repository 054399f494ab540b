"""Text fingerprints for dedupe: normalised text without boilerplate, 64-bit SimHash over word shingles.

The SimHash is computed without a per-word or per-shingle Python loop:

1. the text is split on whitespace; each raw token maps (memoised) to one 24-byte record per word it holds —
   three independent 64-bit hashes (blake2b) of the NFKC, case-folded word, one per shingle position — so
   tokenising, normalising and hashing happen once per distinct token, not once per occurrence;
2. the joined records, seen as an array of 8-byte groups, give for each shingle position p the hashes
   ``hp(w[i + p])`` of every shingle i as one strided column; two array XORs make
   ``h0(w[i]) ^ h1(w[i+1]) ^ h2(w[i+2])``, the hash of every 3-word shingle;
3. per-bit counts come from unpacking the shingle hashes to bits and summing the columns (numpy, which the
   normalise stage already depends on; pure big-int versions of steps 2-3 cost twice as much).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from hashlib import blake2b

import numpy as np

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
      | \(?\s*(?:©|\(c\)|copyright\s*(?:©|\(c\)|\d{4})).*
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


_RECORD = 8 * SHINGLE
#: raw whitespace-separated token → the records of the words it holds (b"" for punctuation only)
_MEMO: dict[str, bytes] = {}


def _word_record(word: str) -> bytes:
    return blake2b(word.encode("utf-8"), digest_size=_RECORD, person=b"wirefeed-dedupe").digest()


def clear_memo() -> None:
    """Forget the memoised token records (a cache: results do not change)."""
    _MEMO.clear()


def _records(tokens: list[str]) -> bytes:
    """The joined word records of raw tokens (whitespace-split text, or words)."""
    try:
        return b"".join(map(_MEMO.__getitem__, tokens))
    except KeyError:
        if len(_MEMO) > _MAX_MEMO:
            _MEMO.clear()
        for token in tokens:
            if token not in _MEMO:
                _MEMO[token] = b"".join(map(_word_record, words(token)))
        return b"".join(map(_MEMO.__getitem__, tokens))


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


def _shingles(records: bytes) -> tuple[bytes, int]:
    """The shingle hashes, 8 bytes each, and their count.

    Shingle *i* is ``h0(w[i]) ^ h1(w[i+1]) ^ h2(w[i+2])``. Seen as an (n, 3) array of 8-byte groups (XOR works
    byte by byte, so the groups' byte order does not matter), the records give each position's hashes of every
    shingle as one strided column; two array XORs make all the shingles at once.
    """
    n = len(records) // _RECORD
    k = min(SHINGLE, n)
    m = n - k + 1
    groups = np.frombuffer(records, dtype=np.uint64).reshape(n, SHINGLE)
    acc = groups[0:m, 0].copy()
    for pos in range(1, k):
        acc ^= groups[pos : pos + m, pos]
    return acc.tobytes(), m


def _simhash(shingles: bytes, m: int) -> int:
    """Bit j of the SimHash is set when more than half of the m shingle hashes have bit j set."""
    bits = np.unpackbits(np.frombuffer(shingles, dtype=np.uint8).reshape(m, 8), axis=1)  # bit 63 first
    counts = np.ones(m, dtype=np.float32) @ bits  # exact: sums of ones below 2**24
    return int.from_bytes(np.packbits(counts > m / 2).tobytes(), "big")


def simhash_words(tokens: list[str]) -> int:
    """64-bit SimHash over the word ``SHINGLE``-grams of ``tokens`` (one gram of all if there are fewer)."""
    records = _records(tokens)
    return _simhash(*_shingles(records)) if records else 0


@dataclass(frozen=True, slots=True)
class Sketch:
    """What dedupe needs of a text: its SimHash and the smallest shingle hashes of its lead."""

    simhash: int
    #: The smallest 8-byte shingle hashes among the first ``store_window`` shingles, ascending.
    store: tuple[bytes, ...]
    #: The smallest among the first ``probe_window`` shingles (a longer lead, so that text inserted into the
    #: lead of a copy does not push the original's store keys out of reach), ascending.
    probe: tuple[bytes, ...]


def _smallest(heads: np.ndarray, count: int) -> tuple[bytes, ...]:
    """The ``count`` smallest distinct heads, ascending, as 8-byte big-endian hashes (bytes order = int order)."""
    if count <= 0 or heads.size == 0:
        return ()
    if count == 1:
        return (int(heads.min()).to_bytes(8, "big"),)
    ordered = np.sort(heads)
    distinct = list(dict.fromkeys(ordered[: 2 * count].tolist()))  # ascending, repeats dropped
    if len(distinct) < count < ordered.size:
        distinct = list(dict.fromkeys(ordered.tolist()))
    return tuple(h.to_bytes(8, "big") for h in distinct[:count])


def _sketch(records: bytes, store_window: int, store_keys: int, probe_window: int, probe_keys: int) -> Sketch:
    if not records:
        return Sketch(0, (), ())
    shingles, m = _shingles(records)
    heads = np.frombuffer(shingles, dtype=">u8")
    store = _smallest(heads[: min(m, store_window)], store_keys)
    probe = _smallest(heads[: min(m, probe_window)], probe_keys)
    return Sketch(_simhash(shingles, m), store, probe)


def sketch_words(
    tokens: list[str], store_window: int = 60, store_keys: int = 1, probe_window: int = 120, probe_keys: int = 8
) -> Sketch:
    return _sketch(_records(tokens), store_window, store_keys, probe_window, probe_keys)


def _story_records(story: Story) -> bytes:
    text = "\n".join(strip_boilerplate(story.body, story.dateline.text if story.dateline else None))
    records = _records(text.split())
    if len(records) < _RECORD * MIN_BODY_WORDS:
        return _records(story.headline.split()) + records
    return records


def fingerprint(story: Story) -> int:
    """64-bit SimHash over word shingles of the story's normalised text without boilerplate."""
    records = _story_records(story)
    return _simhash(*_shingles(records)) if records else 0


def sketch(
    story: Story, store_window: int = 60, store_keys: int = 1, probe_window: int = 120, probe_keys: int = 8
) -> Sketch:
    return _sketch(_story_records(story), store_window, store_keys, probe_window, probe_keys)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()
