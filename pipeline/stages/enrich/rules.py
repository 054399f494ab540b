"""Small disambiguation functions. Their word lists live in ``data/rules.yaml``."""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.stages.enrich.gazetteer import Rules

_SPACE = " "
#: A run of non-whitespace (``re``'s ``\s`` is ``str.isspace``).
_NON_SPACE = re.compile(r"\S*")
#: What ``next_word`` strips from the end of a word.
_WORD_TRAIL = ".,;:!?)\"'’”"


def prev_word(text: str, start: int) -> str | None:
    """The word right before ``start`` when one space separates them (no punctuation in between)."""
    i = start - 1
    if i <= 0 or text[i] != _SPACE:
        return None
    j = i
    while j > 0 and not text[j - 1].isspace():
        j -= 1
    return text[j:i] or None


def next_word(text: str, end: int) -> str | None:
    """The word right after ``end`` when one space separates them, without trailing punctuation."""
    if end >= len(text) - 1 or text[end] != _SPACE:
        return None
    k = end + 1
    m = _NON_SPACE.match(text, k).end()  # type: ignore[union-attr]  # \S* always matches
    return text[k:m].rstrip(_WORD_TRAIL) or None


def is_capitalised_word(word: str) -> bool:
    return word[:1].isupper() and word.replace("-", "").replace(".", "").isalpha()


def is_title_case(text: str) -> bool:
    """A headline In Which Most Words Are Capitalised (capitals there say nothing about names)."""
    words = [w for w in text.split() if len(w) > 3 and w[0].isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def is_shouting(text: str) -> bool:
    """A text written all in capitals (e.g. a dateline 'BISHKEK (TCA) —' or a wire headline)."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def starts_sentence(text: str, i: int) -> bool:
    """Whether the word at ``i`` opens its text or a sentence (its capital says nothing about a name)."""
    j = i - 1
    while j >= 0 and text[j] in " \"'«“„(":
        j -= 1
    return j < 0 or text[j] in ".!?…"


def person_evidence(
    rules: Rules,
    text: str,
    start: int,
    end: int,
    title_case: bool,
    place_starts: frozenset[int],
    strict: bool = False,
    nouns_capitalised: bool = False,
) -> str | None:
    """``'person'`` when the name at [start, end) reads as part of a person's name, ``'place'`` when the
    words around it show a place, None when nothing tells.

    ``strict`` (places that are not known person names: Sofia, Rivera) asks more of a capitalised word before
    the name: it must not open a sentence, and in a language that capitalises its nouns (``nouns_capitalised``,
    German: "Kantonspolizei Bern") it does not count at all."""
    before = prev_word(text, start)
    if before is not None:
        if before in rules.titles:
            return "person"
        if before in rules.place_preceders:
            return "place"
    after = next_word(text, end)
    if title_case:
        return None
    if (
        before is not None
        and is_capitalised_word(before)
        and before not in rules.not_first_names
        and (start - 1 - len(before)) not in place_starts
        and not (strict and (nouns_capitalised or starts_sentence(text, start - 1 - len(before))))
    ):
        return "person"
    if (
        after is not None
        and is_capitalised_word(after)
        and after not in rules.country_followers
        and (end + 1) not in place_starts
    ):
        return "person"
    return None


@lru_cache(maxsize=8)
def _cue_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def count_cues(words: tuple[str, ...], text: str) -> int:
    return len(_cue_pattern(words).findall(text))


def georgia_is_us_state(rules: Rules, text: str, other_codes: list[str], us_places: int) -> bool:
    """Georgia the US state (True) or the country (False), from cue words and the other places named."""
    us = count_cues(rules.georgia_us_cues, text) + us_places
    ge = count_cues(rules.georgia_ge_cues, text) + 0.5 * sum(c in rules.georgia_ge_neighbours for c in other_codes)
    return us > ge


def resolve_ambiguous(candidates: tuple[str, ...], default: str, named: set[str]) -> str:
    """The candidate the story names unambiguously elsewhere, when exactly one is; otherwise the default."""
    present = [c for c in candidates if c in named]
    return present[0] if len(present) == 1 else default


@lru_cache(maxsize=8)
def metonym_pattern(verbs: frozenset[str]) -> re.Pattern[str]:
    """Matches, at the end of a capital's name, what ``is_metonym_use`` looks for: a possessive, or one space and
    a word that is one of ``verbs`` once ``next_word`` has stripped its trailing punctuation. Verbs that
    ``next_word`` could never return (empty, with a space, ending in a stripped character) are left out."""
    usable = sorted(
        (v for v in verbs if v and not any(c.isspace() for c in v) and v[-1] not in _WORD_TRAIL),
        key=lambda v: (-len(v), v),
    )
    words = "|".join(re.escape(v) for v in usable) or "(?!)"
    trail = re.escape(_WORD_TRAIL)
    return re.compile(rf"'s|’s| (?:{words})[{trail}]*(?!\S)")


def is_metonym_use(rules: Rules, text: str, end: int) -> bool:
    """A capital followed by a reporting verb or a possessive ('Moscow said', "Beijing's response")."""
    return metonym_pattern(rules.metonym_verbs).match(text, end) is not None
