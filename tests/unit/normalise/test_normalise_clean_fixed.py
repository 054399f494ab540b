"""``clean_inline_fixed`` and ``content_hash_cleaned``: same results as cleaning and hashing from scratch."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stages.normalise.cleaning import clean_inline, clean_inline_fixed, clean_paragraphs_fixed
from pipeline.stages.normalise.hashing import content_hash, content_hash_cleaned

# Letters, combining marks, whitespace of every kind and the control characters clean_inline removes.
_TRICKY = st.sampled_from(
    ["e", "\u0301", "\u0327", "\u00ad", "\u200b", " ", "\u00a0", "\t", "\n", "\x1c", "\x00", "\u2000", "\u1100",
     "\u1161", "\uac00", "\u11a8", "A", "\u212b", "\u0041\u030a", "\ufeff"]
)  # fmt: skip
_TEXT = st.one_of(st.text(max_size=40), st.lists(_TRICKY, max_size=12).map("".join))


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_fixed_result_is_clean_inline_and_cleans_to_itself(text: str) -> None:
    cleaned, fixed = clean_inline_fixed(text)
    assert cleaned == clean_inline(text)
    if fixed:
        assert clean_inline(cleaned) == cleaned


def test_removing_a_control_character_is_not_known_fixed() -> None:
    # The soft hyphen sits between a base and a combining acute: removing it leaves text that is not NFC.
    cleaned, fixed = clean_inline_fixed("e\u00ad\u0301")
    assert cleaned == "e\u0301"
    assert not fixed
    assert clean_inline(cleaned) == "\u00e9"


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.lists(_TEXT, max_size=6), st.integers(min_value=0, max_value=2))
def test_content_hash_cleaned_equals_content_hash(headline: str, paragraphs: list[str], cut: int) -> None:
    head, head_fixed = clean_inline_fixed(headline)
    body, fixed = clean_paragraphs_fixed(paragraphs)
    if head_fixed:
        fixed.add(head)
    # Later steps hand over texts that were changed after cleaning (a dateline cut off the first paragraph).
    if body and cut:
        body[0] = body[0][cut:]
    assert content_hash_cleaned(head, body, fixed) == content_hash(head, body)


def _reference_clean(text: str) -> str:
    import re
    import unicodedata

    text = unicodedata.normalize("NFC", text)
    controls = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069\ufffe\uffff]"
    text = re.sub(controls, "", text)
    return " ".join(text.split())


_ASCII = st.text(alphabet=st.sampled_from([" ", "a", "B", ".", "\t", "\n", "\r", "\x0b", "\x1f", "\x7f", "~"]))


@settings(max_examples=400, deadline=None)
@given(st.one_of(_ASCII, _TEXT))
def test_clean_inline_equals_the_plain_definition(text: str) -> None:
    assert clean_inline(text) == _reference_clean(text)
    assert clean_inline_fixed(text)[0] == _reference_clean(text)


def _reference_split(text: str) -> list[str]:
    import re

    from pipeline.stages.normalise import cleaning

    text = re.sub(r"\r\n|\r|\n", "\n", text)
    out: list[str] = []
    for block in re.split(r"\n[ \t\u00a0]*\n", text):
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        if not lines:
            continue
        if len(lines) == 1:
            out.append(lines[0])
        elif cleaning._hard_wrapped(lines):
            out.append(" ".join(lines))
        else:
            current = lines[0]
            for ln in lines[1:]:
                if _reference_ends_unit(current):
                    out.append(current)
                    current = ln
                else:
                    current = f"{current} {ln}"
            out.append(current)
    return out


def _reference_ends_unit(line: str) -> bool:
    """A paragraph ends a unit: it ends with closing punctuation, is one word, or has at most six words."""
    import re

    return re.search(r"""[.!?:;…"'”’»)\]]$|^\S+$""", line) is not None or len(line.split()) <= 6


_PIECES = st.sampled_from(["\n", "\r", " ", "\t", "\u00a0", "a", "b.", "Word", "x y z", "one two three four:"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_split_plain_paragraphs_equals_the_line_by_line_definition(text: str) -> None:
    from pipeline.stages.normalise.cleaning import split_plain_paragraphs

    assert split_plain_paragraphs(text) == _reference_split(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(_TEXT, max_size=6))
def test_paragraphs_cleaned_together_as_one_by_one(paragraphs: list[str]) -> None:
    body, fixed = clean_paragraphs_fixed(paragraphs)
    one_by_one = [clean_inline_fixed(p) for p in paragraphs]
    assert body == [c for c, _ in one_by_one if c]
    assert fixed == {c for c, is_fixed in one_by_one if c and is_fixed}


def test_printable_text_holds_no_control_and_no_whitespace_but_space() -> None:
    import sys

    from pipeline.stages.normalise.cleaning import _CONTROL

    for code in range(sys.maxunicode + 1):
        c = chr(code)
        if c.isprintable():
            assert _CONTROL.match(c) is None, hex(code)
            assert c == " " or c.split() == [c], hex(code)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_clean_inline_matches_the_reference_on_any_text(text: str) -> None:
    assert clean_inline(text) == _reference_clean(text)
    assert clean_inline_fixed(text)[0] == _reference_clean(text)
