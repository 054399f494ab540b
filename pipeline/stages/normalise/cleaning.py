"""Text cleaning shared by every format: Unicode NFC, control characters out, whitespace folded.

Typographic quotes, dashes and other punctuation are kept exactly as the agency sent them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# C0/C1 control characters except TAB, LF, CR; plus soft hyphens, zero-width spaces and bidi
# overrides, which never carry meaning in a wire story, and the non-characters U+FFFE/U+FFFF.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069\ufffe\uffff]"
)
_PARAGRAPH_BREAK = re.compile(r"\r\n|\r|\n")
_BLANK_LINE = re.compile(r"\n[ \t\u00a0]*\n")


def _printable_nfc(text: str) -> bool:
    """Text that cleaning at most folds spaces in: printable and NFC.

    Printable (``str.isprintable``) leaves out every character of :data:`_CONTROL` and every whitespace
    character but U+0020 (all are Unicode "Other" or "Separator"; ``tests/unit/normalise/test_normalise_clean_fixed``
    checks every code point), so only NFC is left to check, and ASCII is NFC already.
    """
    return text.isprintable() and (text.isascii() or unicodedata.is_normalized("NFC", text))


def _loose_spaces(text: str) -> bool:
    """Printable ``text`` whose spaces need folding: a run of two, or one at either end."""
    return "  " in text or text[:1] == " " or text[-1:] == " "


def strip_controls(text: str) -> str:
    """Remove control characters (keeping TAB/LF/CR, which the whitespace folding handles)."""
    return _CONTROL.sub("", text)


def clean_inline(text: str) -> str:
    """One line of text: NFC, control characters removed, runs of whitespace folded to one space.

    Whitespace is every character ``str.split()`` splits on (Unicode White_Space, incl. NBSP).
    """
    if _printable_nfc(text):
        return " ".join(text.split()) if _loose_spaces(text) else text
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    return " ".join(text.split())


def clean_inline_fixed(text: str) -> tuple[str, bool]:
    """``clean_inline(text)``, and whether the result is known to be its own ``clean_inline``.

    It is when no control character was removed: the NFC text's whitespace-separated tokens joined by single
    spaces are NFC again (a space starts no canonical composition) and hold nothing to remove or fold. Removing
    a control character can bring a combining mark next to a base it composes with, so then it is not known.
    """
    if _printable_nfc(text):
        return (" ".join(text.split()) if _loose_spaces(text) else text), True
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if _CONTROL.search(text):
        return " ".join(_CONTROL.sub("", text).split()), False
    return " ".join(text.split()), True


def clean_paragraphs_fixed(paragraphs: Iterable[str]) -> tuple[list[str], set[str]]:
    """:func:`clean_paragraphs`, and the cleaned paragraphs known to be their own ``clean_inline``."""
    out = []
    fixed = set()
    for p in paragraphs:
        c, is_fixed = clean_inline_fixed(p)
        if c:
            out.append(c)
            if is_fixed:
                fixed.add(c)
    return out, fixed


def clean_paragraphs(paragraphs: Iterable[str]) -> list[str]:
    """Clean each paragraph and drop the empty ones."""
    out = []
    for p in paragraphs:
        c = clean_inline(p)
        if c:
            out.append(c)
    return out


def split_plain_paragraphs(text: str) -> list[str]:
    """Split plain text into paragraphs.

    Blank lines separate blocks. A block of hard-wrapped prose (every line but the last fills most of
    a width of at most 100 columns, and some line breaks mid-sentence) is one paragraph. Otherwise a
    line that ends a sentence, or a short line (a name, ``divider``), ends a paragraph, and a line
    that breaks mid-sentence continues onto the next.
    """
    if "\r" in text:
        text = _PARAGRAPH_BREAK.sub("\n", text)
    blocks = _BLANK_LINE.split(text)
    out: list[str] = []
    for block in blocks:
        if "\n" not in block:  # one line: the common case of paragraphs separated by blank lines
            if line := block.strip():
                out.append(line)
            continue
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        if not lines:
            continue
        if len(lines) == 1:
            out.append(lines[0])
            continue
        if _hard_wrapped(lines):
            out.append(" ".join(lines))
            continue
        # Hard-wrapped prose: lines that do not end a sentence continue onto the next one. The paragraph is
        # collected as a list of lines, and whether it ends a unit is judged from its last line and a running
        # word count, so joining stays linear in the block's length however many lines run on.
        parts = [lines[0]]
        words = len(lines[0].split())
        for ln in lines[1:]:
            if _ends_unit_parts(parts, words):
                out.append(" ".join(parts))
                parts, words = [ln], 0
            else:
                parts.append(ln)
            words += len(ln.split())
        out.append(" ".join(parts))
    return out


#: Lines no longer than this may be hard-wrapped prose (wire copy is wrapped at 60-80 columns).
_WRAP_MAX = 100


def _hard_wrapped(lines: list[str]) -> bool:
    """A block of prose wrapped at a fixed column: every line but the last fills most of the width."""
    width = max(len(ln) for ln in lines)
    if width > _WRAP_MAX or (len(lines) < 3 and width < 40):
        return False
    if not all(len(ln) >= 0.6 * width for ln in lines[:-1]):
        return False
    # Evidence of wrapping: some line breaks mid-sentence. Lines that each end a sentence are paragraphs.
    return any(not _SENTENCE_END.search(ln) for ln in lines[:-1])


_SENTENCE_END = re.compile(r"""[.!?…"'”’»)\]]$""")


def _ends_unit_parts(parts: list[str], words: int) -> bool:
    """Whether the paragraph ``" ".join(parts)`` (of ``words`` words) ends a unit: it ends a sentence, or is one
    word (``divider``), or is a short title-like line. Judged from its last line and the word count, which the
    caller keeps, so the check does not grow with the paragraph.
    """
    # Short lines without closing punctuation are headings, names or boilerplate: keep them apart.
    return parts[-1][-1:] in _END_OF_UNIT or words <= 6


#: Characters that end a unit (a sentence, or a clause before a list) at the end of a line.
_END_OF_UNIT = frozenset(".!?:;…\"'”’»)]")
