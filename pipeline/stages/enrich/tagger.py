"""Country, place and bloc tagging of one story: one automaton pass over all its text, then the rules.

The stage runs on every story, so the per-match work is kept to a few operations: what a surface's match needs
checked is decided when the gazetteer is built (``Gazetteer.plans``), mentions are plain lists while the rules
run, the rules that only some stories need (person names, Georgia, names shared by several countries) run only
when the scan found such a name, and the tags and spans are built once, from values this module computed.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from pipeline.stages.enrich import rules as R
from pipeline.stages.enrich.gazetteer import (
    ANY,
    BLOC,
    CAP,
    CueName,
    Entry,
    EntryClass,
    Gazetteer,
    Reading,
    fold_joined,
    lang_ok,
    load_gazetteer,
)
from pipeline.stages.enrich.trusted import trusted, trusted_all
from schemas.enriched import BlocTag, CountryTag, Span, TextPart
from schemas.story import Story

#: Order in which cue types are listed on a tag.
_CUE_ORDER: tuple[CueName, ...] = ("name", "demonym", "city", "metonym", "dateline", "code")
#: Weight of one mention by cue type, for salience.
_CUE_WEIGHT: dict[str, float] = {"name": 1.0, "demonym": 0.7, "city": 0.8, "metonym": 0.9, "dateline": 0.5}
#: Salience features. A country's score is their sum divided by the most a country can get (``_W_MAX``).
_W_HEADLINE = 2.0  # named in the headline (by name, demonym or metonym) …
_W_HEADLINE_PLACE = 1.0  # … or only by a place in it ("summit in Lima")
_W_HEADLINE_FIRST = 1.5  # the headline's first country named by name/demonym/metonym: usually its subject
_W_DATELINE = 1.0  # where the story was filed; half when the text never names the country again
_W_DATELINE_HEADLINE = 1.5  # filed from a country the headline names: the story is usually about it
_W_LEAD = 1.0  # named in the first paragraph
_W_LEAD_FIRST = 0.5  # the first paragraph's first country
_W_FREQUENCY = 5.0  # mentions weighted by cue, relative to the most-mentioned country
_W_MAX = _W_HEADLINE + _W_HEADLINE_FIRST + _W_DATELINE + _W_DATELINE_HEADLINE + _W_LEAD + _W_LEAD_FIRST + _W_FREQUENCY
#: Without a headline or dateline country, a focus needs this share of the weighted mentions and this lead over
#: the runner-up, or more weighted mentions than any other and a salience this many times the runner-up's (local
#: news that names its country and one stray place); otherwise the story (a regional round-up) has no focus country.
_FOCUS_MIN_SHARE = 0.4
_FOCUS_MIN_LEAD = 1.5
_FOCUS_MIN_SALIENCE_LEAD = 1.2

#: A cue's bit, and the cue lists in ``_CUE_ORDER`` of every set of bits.
_CUE_BIT: dict[str, int] = {c: 1 << i for i, c in enumerate(_CUE_ORDER)}
_CUES_OF_BITS: tuple[tuple[CueName, ...], ...] = tuple(
    tuple(c for c in _CUE_ORDER if bits & _CUE_BIT[c]) for bits in range(1 << len(_CUE_ORDER))
)

# Tags and spans are built from values this module computed (codes and names from the gazetteer, offsets into
# the story's own text, rounded scores in [0, 1]): no re-validation (see trusted.py).
_country_tags = trusted_all(CountryTag)
_bloc_tag = trusted(BlocTag)

class _M:
    """A mention while the rules run: its part's slot (index into the story's parts), start and end (offsets in
    that part), entry, code and cue, whether the person rule checked it and what it found. ``Mention`` is its
    public form, in ``Tags.mentions``. Compiled, a plain class: attribute reads are field reads, where the list it
    replaces boxed every offset."""

    __slots__ = ("checked", "code", "cue", "end", "entry", "evidence", "slot", "start")

    def __init__(self, slot: int, start: int, end: int, entry: Entry, code: str | None, cue: CueName) -> None:
        self.slot = slot
        self.start = start
        self.end = end
        self.entry = entry
        self.code = code
        self.cue = cue
        self.checked = False
        self.evidence: str | None = None

_Part = tuple[TextPart, int, str]


@dataclass(slots=True)
class Mention:
    part: TextPart
    index: int
    start: int
    end: int
    entry: Entry
    code: str | None
    cue: CueName
    person_checked: bool = False
    evidence: str | None = None  # 'person' | 'place' | None, for names that are also people's names


@dataclass(slots=True)
class Tags:
    """What ``tag`` found in one story."""

    countries: list[CountryTag] = field(default_factory=list)
    focus_country: str | None = None
    blocs: list[BlocTag] = field(default_factory=list)
    dateline_country: str | None = None
    mentions: list[Mention] = field(default_factory=list)

    @property
    def codes(self) -> set[str]:
        return {c.code for c in self.countries}


def _joins(c: str) -> bool:
    """Whether the character ``c`` beside a match makes it part of a longer word: a letter or digit, except Han
    ideographs and hiragana, since Chinese and Japanese put no spaces between words (katakana does join: a
    katakana name inside a longer katakana word is part of that word)."""
    if not c.isalnum():
        return False
    return c < "\u3040" or not (
        "\u3040" <= c < "\u30a0"  # hiragana
        or "\u3400" <= c < "\ua000"  # CJK ideographs and extension A
        or "\uf900" <= c < "\ufb00"  # compatibility ideographs
        or "\U00020000" <= c < "\U00032400"  # extensions B to H and the compatibility supplement
    )


def _joins_at(outer: str, inner: str) -> bool:
    """Whether ``outer``, the character beside a match, makes it part of a longer word, ``inner`` being the
    match's own character next to it: as ``_joins``, except that digits stand apart from Chinese and Japanese
    text, which writes them without spaces (新华社北京11月17日电, 2019年東京), and katakana stands apart from a
    name written in another script (日本プロ野球)."""
    if not _joins(outer):
        return False
    if inner < "\u3040":
        return True
    if outer.isdigit():
        return False
    # Katakana joins only katakana: a name in kanji before a katakana word is a word of its own (日本プロ野球).
    return not ("\u30a0" <= outer < "\u3100") or "\u30a0" <= inner < "\u3100"


def _word(text: str) -> bool:
    """Whether ``text`` is one word: every character joins its neighbours (``_joins``)."""
    if not text.isalnum():
        return False
    return text.isascii() or all(_joins(c) for c in text)


_lang_ok = lang_ok


#: Languages whose genitive is a bare -s on the name (Sveriges, Natos, Indias): the name still matches.
_GENITIVE_S_LANGS = frozenset({"nb", "no", "nn", "sv", "da"})
#: Languages that write every noun with a capital: a capitalised word before a place says nothing of a person.
_NOUNS_CAPITALISED = frozenset({"de", "lb"})


class _Scan:
    """The mentions ``scan`` found, by what the rules do with them, in text order."""

    __slots__ = ("blockers", "blocs", "mentions", "pairs", "special")

    def __init__(self) -> None:
        self.mentions: list[_M] = []  # countries and names shared by several countries
        self.blocs: list[_M] = []
        self.blockers: list[_M] = []
        self.special = False  # a person's name, Georgia or a shared name among the mentions
        self.pairs = False  # two mentions separated by exactly two characters ('Moscow, Idaho')


def scan(gaz: Gazetteer, parts: list[_Part], story_lang: str) -> _Scan:
    """Longest, non-overlapping, boundary- and case-checked matches in every part (blockers included).

    The parts are joined with newlines (no surface contains one), with one more before the first and after the
    last so that every match has a character on each side, and matched in one pass (``_leftmost``; rarely a
    second one, ``_overlapping``).
    """
    gaz = gaz.for_language(story_lang)  # the surfaces with an entry for the story's language
    texts = [t for _, _, t in parts]
    joined = "\n" + "\n".join(texts) + "\n"
    bounds: list[int] = []  # where each part starts in ``joined``, then where a part after the last would
    pos = 1
    for t in texts:
        bounds.append(pos)
        pos += len(t) + 1
    bounds.append(pos)
    folded = fold_joined(texts, joined)
    check = _Checker(gaz, joined, bounds, parts, story_lang)
    found = _leftmost(gaz, folded, check)
    if found is None:
        found = _classify(_overlapping(gaz, folded, check), bounds, joined)
    return found


class _Checker:
    """Whether a match of the folded text is one: word boundaries in the original text, then the surface's
    plan (``Gazetteer.plans``)."""

    __slots__ = ("bounds", "genitive", "joined", "lang", "max_acronym", "parts", "plans", "shouting")

    def __init__(self, gaz: Gazetteer, joined: str, bounds: list[int], parts: list[_Part], lang: str) -> None:
        self.plans = gaz.plans
        self.joined = joined
        self.bounds = bounds
        self.parts = parts
        self.lang = lang
        self.genitive = lang in _GENITIVE_S_LANGS
        self.max_acronym = gaz.rules.shouting_acronym_max_len
        self.shouting: list[bool | None] = [None] * len(parts)

    def entries(self, entries: tuple[Reading, ...], start: int, end: int) -> Reading | None:
        """The first of a surface's entries that applies to this match: its language, its case rule, and for
        exact spellings ('US', 'EU') the original text, where short acronyms in a headline or dateline written
        all in capitals do not count ("LET US GO")."""
        joined = self.joined
        for reading in entries:
            entry = reading[0]
            if entry.lang is not None and not _lang_ok(entry.lang, self.lang):
                continue
            case = entry.case
            if case == "cap":
                if not joined[start].isupper():
                    continue
            elif case == "exact":
                if joined[start:end] != entry.surface:
                    continue
                if sum(c.isalpha() for c in entry.surface) <= self.max_acronym:
                    k = bisect_right(self.bounds, start) - 1
                    if self.parts[k][0] != "body":
                        loud = self.shouting[k]
                        if loud is None:
                            loud = self.shouting[k] = R.is_shouting(self.parts[k][2])
                        if loud:
                            continue
            return reading
        return None


#: A match that holds: (start, end, entry, class, code, cue) in ``joined``; ``_Picked``: such matches in text order.
_Match = tuple[int, int, Entry, EntryClass, str | None, CueName]
_Picked = list[_Match]


def _leftmost(gaz: Gazetteer, folded: str, check: _Checker) -> _Scan | None:
    """The matches from the leftmost-longest automaton, all checked. That is the answer when every match it
    reports holds: a match that holds is the longest that holds at its start, and no other starts earlier.

    A match that does not hold may hide a shorter one at its start or one starting inside it, which the
    automaton never reports. Inside a single word ('us' in 'focus', 'island' in an English story) none can hold:
    every later start has a letter before it, and a shorter match at the same start a letter after it — except
    for a bare genitive -s, when the word ends in 's' and only its case or language failed. When the match fails
    its start boundary ('pa.' in 'Europa.'), nothing can start at its start, so only its characters before the
    last matter. Such a match is dropped. For any other ('east Jerusalem', where 'Jerusalem' holds) the matches
    starting inside it are found with the overlapping automaton (``_hidden``); only when one of those reaches
    past its end does the story go to ``_overlapping`` (None).
    """
    joined = check.joined
    genitive = check.genitive
    plans = check.plans
    bounds = check.bounds
    picked: _Picked = []
    if folded.isascii():
        matches = gaz.leftmost_bytes.find_matches_as_indexes(folded.encode("ascii"))
    else:
        matches = gaz.leftmost.find_matches_as_indexes(folded)
    for key, start, end in matches:
        if _joins_at(joined[start - 1], joined[start]):
            if end - start == 1 or _word(joined[start : end - 1]):
                continue  # no later start inside it has anything but a letter or digit before it
            hidden = True
        elif _joins_at(joined[end], joined[end - 1]) and not (
            genitive and joined[end] == "s" and not _joins(joined[end + 1])
        ):
            if _word(joined[start:end]):
                continue
            hidden = True
        else:
            rule, entry, cls, entries, code, cue = plans[key]
            hidden = False
            if rule == CAP:
                if not joined[start].isupper():
                    if _word(joined[start:end]) and not (genitive and joined[end - 1] == "s"):
                        continue
                    hidden = True
            elif rule != ANY:
                chosen = check.entries(entries, start, end)
                if chosen is None:
                    if _word(joined[start:end]) and not (genitive and joined[end - 1] == "s"):
                        continue
                    hidden = True
                else:
                    entry, cls, code, cue = chosen
        if hidden:
            inside = _hidden(gaz, folded, check, start, end)
            if inside is None:
                return None
            picked.extend(inside)
        else:
            picked.append((start, end, entry, cls, code, cue))
    return _classify(picked, bounds, joined)


def _checked(
    gaz: Gazetteer, text: str, base: int, before: int, check: _Checker
) -> list[_Match]:
    """Every match of every surface in ``text`` (``folded[base:]`` or a window of it) starting before ``before``
    that holds, as ``(start, -end, entry, class)`` in ``joined``, sorted: the longest match first at each start."""
    joined = check.joined
    genitive = check.genitive
    plans = check.plans
    found: list[_Match] = []
    for key, start, end in gaz.matcher.find_matches_as_indexes(text, overlapping=True):
        start += base
        if start >= before:
            continue
        end += base
        if _joins_at(joined[start - 1], joined[start]):
            continue
        if _joins_at(joined[end], joined[end - 1]) and not (
            genitive and joined[end] == "s" and not _joins(joined[end + 1])
        ):
            continue
        rule, entry, cls, entries, code, cue = plans[key]
        if rule == CAP:
            if not joined[start].isupper():
                continue
        elif rule != ANY:
            chosen = check.entries(entries, start, end)
            if chosen is None:
                continue
            entry, cls, code, cue = chosen
        found.append((start, -end, entry, cls, code, cue))
    found.sort()  # (start, -end) is unique per match (one entry per surface), so entries are never compared
    return found


def _longest_first(found: list[_Match]) -> _Picked:
    """From matches sorted by ``(start, -end)``: the longest at the first start, then the same after its end."""
    picked: _Picked = []
    last_end = -1
    for start, neg_end, entry, cls, code, cue in found:
        if start >= last_end:
            last_end = -neg_end
            picked.append((start, last_end, entry, cls, code, cue))
    return picked


def _hidden(gaz: Gazetteer, folded: str, check: _Checker, start: int, end: int) -> _Picked | None:
    """The matches that hold among those starting inside a failed leftmost match [start, end), longest first
    and not overlapping; None when the last reaches past ``end`` (the leftmost pass would then resume too early).
    No match starts before ``start`` since the last one taken, and the leftmost pass goes on from ``end``."""
    window = folded[start : end + gaz.longest]  # holds every match that starts before ``end``
    picked = _longest_first(_checked(gaz, window, start, end, check))
    if picked and picked[-1][1] > end:
        return None
    return picked


def _overlapping(gaz: Gazetteer, folded: str, check: _Checker) -> _Picked:
    """Every match of every surface, checked, then the longest first and no overlaps."""
    return _longest_first(_checked(gaz, folded, 0, len(folded), check))


def _classify(picked: _Picked, bounds: list[int], joined: str) -> _Scan:
    """The picked matches as mentions (offsets in their part), by what the rules do with them."""
    out = _Scan()
    mentions, blocs, blockers = out.mentions, out.blocs, out.blockers
    k, offset, next_start, last_mention_end = 0, bounds[0], bounds[1], -1
    for start, end, entry, cls, code, cue in picked:
        if start >= next_start:
            k += 1
            while start >= bounds[k + 1]:
                k += 1
            offset = bounds[k]
            next_start = bounds[k + 1]
        m = _M(k, start - offset, end - offset, entry, code, cue)
        if cls <= 1:  # PLAIN or SPECIAL
            mentions.append(m)
            if cls:
                out.special = True
            if start == last_mention_end + 2 and joined[start - 2] == ",":
                out.pairs = True
            last_mention_end = end
        elif cls == BLOC:
            blocs.append(m)
        else:
            blockers.append(m)
    return out


def _story_date(story: Story) -> date:
    return story.versioncreated.date()


#: An item of a list of dated headlines (a page's related news: "2016年8月16日(火):台風13号の影響で…").
_DATED_ITEM = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日\s?[(（][月火水木金土日][)）]\s?[:：]")


def _furniture(paragraph: str) -> bool:
    """Whether a body paragraph is a list of dated headlines (two items or more): other stories, not this one's
    text. Only Japanese dates are read."""
    return "年" in paragraph and len(_DATED_ITEM.findall(paragraph)) >= 2


#: How a paragraph of story text ends (headlines of other stories do not).
_SENTENCE_END = (".", "!", "?", "…", '"', "”", "»", "。", "！", "？", "」")
#: The longest paragraph read as a furniture heading.
_HEADING_MAX = 40
#: A body paragraph this long or longer that repeats the headline is not read (shorter ones may be a place).
_REPEAT_MIN = 20
_OUTLET_SEPARATORS = (" | ", " - ", " – ", " — ")
#: A photo's credit at the end of its caption, and the longest paragraph read as a caption.
_PHOTO_CREDIT = re.compile(r"\((?:[A-Za-z ]{0,20}photo by |Photo: ?)?[A-Z][\w.' -]{1,40}? ?/ ?[A-Z][^()/]{1,40}\)$")
_CAPTION_MAX = 400


#: The fewest paragraphs at the end of a body that make a list of other stories' headlines.
_HEADLINE_TAIL_MIN = 3
#: The longest paragraph read as another story's headline.
_HEADLINE_MAX = 100


def _headline_tail(body: list[str]) -> int:
    """Where a list of other stories' headlines at the end of the body starts (``len(body)`` when there is none):
    ``_HEADLINE_TAIL_MIN`` paragraphs or more as short as headlines (``_HEADLINE_MAX``) that end no sentence."""
    i = len(body)
    while i > 0 and len(body[i - 1]) <= _HEADLINE_MAX and not body[i - 1].rstrip().endswith(_SENTENCE_END):
        i -= 1
    return i if len(body) - i >= _HEADLINE_TAIL_MIN else len(body)


def _parts(story: Story, headings: frozenset[str] = frozenset()) -> list[_Part]:
    """The story's text by part. Page furniture is left empty, keeping the indices of the other paragraphs: a
    list of dated headlines (``_furniture``), a heading of ``headings`` (comments, related news: casefolded) and
    the paragraphs after it up to the first that ends a sentence."""
    parts: list[_Part] = [("headline", 0, story.headline)]
    if story.dateline is not None and story.dateline.text:
        parts.append(("dateline", 0, story.dateline.text))
    skipping = False
    body = story.body
    tail = _headline_tail(body)
    headline = " ".join(story.headline.split()).casefold()
    for i, p in enumerate(body):
        if (
            i >= tail
            or (skipping and not p.rstrip().endswith(_SENTENCE_END))
            or _repeats(p, headline)
            or _caption(p)
        ):
            parts.append(("body", i, ""))
            continue
        skipping = False
        short = len(p) <= _HEADING_MAX
        # Most paragraphs are long, have no colon near their start and no 年: none of the checks can hold.
        if short or p.find(":", 0, _HEADING_MAX + 1) >= 0 or "年" in p:
            skipping = short and _is_heading(p, headings)
            if skipping or _furniture(p) or _link_line(p, headings):
                p = ""
        parts.append(("body", i, p))
    return parts


def _repeats(paragraph: str, headline: str) -> bool:
    """Whether a paragraph is the headline printed again (casefolded, spaces collapsed), perhaps without the
    outlet's name the headline ends with ("… | EL DEBER"): scraped pages often repeat it above the lead."""
    if len(paragraph) > len(headline) + 2 or len(paragraph) < _REPEAT_MIN:
        return False
    text = " ".join(paragraph.split()).casefold()
    if headline == text:
        return True
    return headline.startswith(text) and headline[len(text) : len(text) + 3] in _OUTLET_SEPARATORS


def _caption(paragraph: str) -> bool:
    """Whether a paragraph is a photo's caption: it ends with the photo's credit, a name, a slash and an outlet in
    brackets ("(Natasha Khan / Bloomberg)", "(File photo by Justin Sullivan/Getty Images)")."""
    end = paragraph.rstrip(" |\t")
    return end.endswith(")") and len(end) <= _CAPTION_MAX and _PHOTO_CREDIT.search(end) is not None


def _is_heading(paragraph: str, headings: frozenset[str]) -> bool:
    """Whether a paragraph is one of ``headings`` (casefolded, spaces collapsed, without a final colon)."""
    return len(paragraph) <= _HEADING_MAX and " ".join(paragraph.split()).strip(" :").casefold() in headings


def _link_line(paragraph: str, headings: frozenset[str]) -> bool:
    """Whether a paragraph is a heading and a colon before another story's headline ("Leia mais: China
    parabeniza …", "Lire aussi : …"): it ends no sentence."""
    head, colon, _ = paragraph[: _HEADING_MAX + 1].partition(":")
    return bool(colon) and _is_heading(head, headings) and not paragraph.rstrip().endswith(_SENTENCE_END)


def tag(story: Story, gaz: Gazetteer | None = None) -> Tags:
    """Countries (with spans, cues and salience), the focus country, bloc tags and the dateline country of the
    story's text (headline, dateline, body). ``gaz`` defaults to the packaged gazetteer."""
    gaz = gaz or load_gazetteer()
    parts = _parts(story, gaz.rules.furniture_headings)
    kept: list[_M] = []
    countries, focus, blocs, dateline_country = tag_story(story, gaz, parts, kept)
    mentions = [
        Mention(parts[m.slot][0], parts[m.slot][1], m.start, m.end, m.entry, m.code, m.cue, m.checked, m.evidence)
        for m in kept
    ]
    return Tags(countries, focus, blocs, dateline_country, mentions)


def tag_story(
    story: Story, gaz: Gazetteer, parts: list[_Part] | None = None, kept: list[_M] | None = None
) -> tuple[list[CountryTag], str | None, list[BlocTag], str | None]:
    """``tag`` without the mentions: countries, focus country, blocs, dateline country. ``kept``, when given,
    receives the mentions the tags were made from (as lists)."""
    if parts is None:
        parts = _parts(story, gaz.rules.furniture_headings)
    lang = (story.language or "en").split("-")[0].lower()

    # 1. Scan every part; keep countries, ambiguous names and blocs; drop blockers.
    found = scan(gaz, parts, lang)
    mentions = found.mentions
    if found.special:
        mentions = _special_rules(gaz, parts, found, lang)
    if lang == "ja":
        mentions = [m for m in mentions if not _ja_person(parts[m.slot][2], m.end)]

    # 5. 'Moscow, Idaho': a city followed by ', <state or country>' of another country belongs there.
    # (The rules above only drop mentions or change their codes: they never make two mentions adjacent.)
    if found.pairs:
        _place_in_region(parts, mentions)

    # 6. The dateline country; 7. capitals standing for their government; 8. a bloc's seat in a story that
    # names the bloc stands for the bloc (Brussels → EU, not BE). Done in one pass with the scoring.
    dateline_country = _dateline_country(story, gaz, parts, mentions)
    # A story without a dateline may still open with one ("HANOI, Vietnam (AP) —"): it weighs as one in the
    # focus, but it is not the story's dateline.
    filed_from = dateline_country
    lead = _lead_index(parts)
    if story.dateline is None and story.body and (story.body[lead][:1].isupper() or story.body[lead][:1] >= "\u3000"):
        filed_from = _lead_dateline(parts, mentions, lead)
    countries, focus = _score(gaz, parts, mentions, filed_from, {m.code for m in found.blocs}, kept, lead)
    if focus is None and countries:
        focus = _home_focus(countries, gaz.rules.home_country.get(lang))
    blocs = _blocs(gaz, found.blocs, [c.code for c in countries], _story_date(story))
    return countries, focus, blocs, dateline_country


def _special_rules(gaz: Gazetteer, parts: list[_Part], found: _Scan, lang: str) -> list[_M]:
    """Steps 2–4 of tagging, for stories that name a person-like place, Georgia or a shared name."""
    rules = gaz.rules
    mentions = found.mentions
    has_person = has_georgia = has_ambiguous = False
    for m in mentions:
        entry = m.entry
        has_person = has_person or entry.person_name or entry.name_like
        has_georgia = has_georgia or m.code == "GE"
        has_ambiguous = has_ambiguous or entry.kind == "ambiguous"

    # 2. Person names (Michael Jordan, Chad Smith): evidence per mention, then per story.
    if has_person:
        # Where every match but the blocs starts, by part: the places the person rule sees (built when needed).
        starts_in: dict[int, set[int]] | None = None
        nouns_capitalised = lang in _NOUNS_CAPITALISED
        # Per part, built once: where places start, and whether it is a title-case headline.
        seen: dict[int, tuple[frozenset[int], bool]] = {}
        for m in mentions:
            entry = m.entry
            if not (entry.person_name or entry.name_like):
                continue
            slot = m.slot
            part, _, text = parts[slot]
            if entry.name_like and not _word_beside(text, m.start, m.end):
                continue  # no word right beside it: nothing there can make it part of a person's name
            if starts_in is None:
                starts_in = {}
                for x in mentions + found.blockers:
                    starts_in.setdefault(x.slot, set()).add(x.start)
            context = seen.get(slot)
            if context is None:
                context = (frozenset(starts_in[slot]), part == "headline" and R.is_title_case(text))
                seen[slot] = context
            place_starts, title_case = context
            m.checked = True
            m.evidence = R.person_evidence(
                rules, text, m.start, m.end, title_case, place_starts, entry.name_like, nouns_capitalised
            )
        if starts_in is not None:  # some mention was checked
            mentions = _apply_person_rule(mentions, parts)

    # 3. Georgia: the country or the US state.
    if has_georgia:
        georgia = [
            m for m in mentions if m.code == "GE" and m.entry.surface in rules.georgia_names
        ]
        if georgia:
            full = "\n".join(t for _, _, t in parts)
            others = [m.code for m in mentions if m.code and m.code != "GE"]
            us_places = sum(1 for m in mentions if m.code == "US" and m.cue in ("city", "metonym"))
            if R.georgia_is_us_state(rules, full, others, us_places):
                for m in georgia:
                    m.code, m.cue = "US", "city"

    # 4. Names shared by several countries (Congo, Korea).
    if has_ambiguous:
        named = {m.code for m in mentions if m.code and m.entry.kind == "country"}
        for m in mentions:
            if m.entry.kind == "ambiguous":
                amb = rules.ambiguous[m.entry.surface]
                m.code = R.resolve_ambiguous(amb.candidates, amb.default, named)
    return mentions


#: What follows a person's name in Japanese: a personal honorific or title (氏, さん, 選手, 容疑者), perhaps after
#: the rest of the name in katakana (ウガンダ・トラ氏: a performer's stage name).
_JA_PERSON_AFTER = re.compile(r"(?:・[\u30a1-\u30ff]+)*(?:氏|さん|ちゃん|選手|容疑者|被告)")


def _ja_person(text: str, end: int) -> bool:
    """Whether the place ending at ``end`` is (part of) a person's name in Japanese text: an honorific follows."""
    return _JA_PERSON_AFTER.match(text, end) is not None


def _place_in_region(parts: list[_Part], mentions: list[_M]) -> None:
    """'Moscow, Idaho': a city followed by ', <state or country>' of another country belongs there."""
    for a, b in itertools.pairwise(mentions):
        if (
            a.cue == "city"
            and b.start == a.end + 2
            and a.slot == b.slot
            and (b.entry.admin or b.cue == "name")
            and a.code != b.code
            and parts[a.slot][2][a.end : b.start] == ", "
            and not _continues_list(parts[b.slot][2], b, mentions)
        ):
            a.code = b.code


def _continues_list(text: str, b: _M, mentions: list[_M]) -> bool:
    """True when the place at ``b`` is one item of a list ('Paris, Berlin and Rome')."""
    tail = text[b.end : b.end + 6]
    if tail.startswith((" and ", ", and ", " or ")):
        return True
    return tail.startswith(", ") and any(m.slot == b.slot and m.start == b.end + 2 for m in mentions)


def _apply_person_rule(mentions: list[_M], parts: list[_Part]) -> list[_M]:
    """Drop mentions read as person names. A known person name (Jordan) with person evidence and no place
    evidence anywhere in the story is a person in all its mentions ('Jordan said' after 'Michael Jordan'); any
    other place written like a name (Sofia, Rivera) only where it reads as a person's name itself."""
    by_surface: dict[str, set[str | None]] = {}
    for m in mentions:
        if m.checked and m.entry.person_name:
            by_surface.setdefault(parts[m.slot][2][m.start : m.end], set()).add(m.evidence)
    person_only = {s for s, evs in by_surface.items() if "person" in evs and "place" not in evs}
    return [
        m
        for m in mentions
        if m.evidence != "person"
        and not (m.checked and m.entry.person_name and parts[m.slot][2][m.start : m.end] in person_only)
    ]


def _word_beside(text: str, start: int, end: int) -> bool:
    """Whether a capitalised word follows [start, end) after one space, or a word (or an abbreviation's point)
    ends one space before it: what the person rule needs to see anything."""
    if end + 1 < len(text) and text[end] == " " and text[end + 1].isupper():
        return True
    return start >= 2 and text[start - 1] == " " and (text[start - 2].isalpha() or text[start - 2] == ".")


def _dateline_country(story: Story, gaz: Gazetteer, parts: list[_Part], mentions: list[_M]) -> str | None:
    if story.dateline is None:
        return None
    if story.dateline.country:
        return story.dateline.country
    for m in mentions:
        if parts[m.slot][0] == "dateline" and m.code:
            return m.code
    if story.dateline.place:
        for entry in gaz.lookup(story.dateline.place):
            if entry.kind == "country" and entry.code:
                return entry.code
    return None


#: What follows the place of a dateline left at the start of the lead: a dash, a colon, an agency in brackets,
#: the Spanish ".-" or TASS's "/ТАСС/", within a few words (", Vietnam", ", 16 мая.").
_LEAD_DATELINE_END = re.compile(r"[^\n]{0,40}?(?:—|–|--| - |: |\(|\.-|/)")


#: A Chinese or Japanese agency's dateline around the place at the start of the lead: "新华社北京11月17日电",
#: "中新网上海3月2日电", "【北京共同】".
_CJK_LEAD_DATELINE_START = re.compile(r"(?:【|新华社|新華社|中新社|中新网)?")
_CJK_LEAD_DATELINE_END = re.compile(r"\s?(?:\d{1,2}月\d{1,2}日\s?电|[^\n】]{1,4}】)")


def _lead_index(parts: list[_Part]) -> int:
    """The index of the lead: the first body paragraph with a letter in it that ``_parts`` kept (scraped pages
    may open with the headline again, a lone dash or a time)."""
    for part, index, text in parts:
        if part == "body" and any(c.isalpha() for c in text[:_HEADING_MAX]):
            return index
    return 0


def _lead_dateline(parts: list[_Part], mentions: list[_M], lead: int) -> str | None:
    """The country of a place at the very start of the lead (body paragraph ``lead``) in a dateline's form:
    written in capitals and followed by a dateline's punctuation ("NEW DELHI:", "ВАШИНГТОН, 16 мая. /ТАСС/."),
    or in a Chinese or Japanese agency's dateline ("新华社北京11月17日电", "【北京共同】")."""
    for m in mentions:
        part, index, text = parts[m.slot]
        if part != "body" or index < lead:
            continue
        if index != lead or not m.code:
            return None
        if m.start <= 1:
            if text[m.start : m.end].isupper() and _LEAD_DATELINE_END.match(text, m.end):
                return m.code
        if m.start <= 4 and text[m.start] >= "\u3040":
            head = _CJK_LEAD_DATELINE_START.match(text)
            if head is not None and head.end() == m.start and _CJK_LEAD_DATELINE_END.match(text, m.end):
                return m.code
        return None
    return None


def _score(
    gaz: Gazetteer,
    parts: list[_Part],
    mentions: list[_M],
    dateline_country: str | None,
    named_blocs: set[str | None],
    kept: list[_M] | None,
    lead: int = 0,
) -> tuple[list[CountryTag], str | None]:
    """Steps 7–8 (metonyms, bloc seats) and the salience of each country, in one pass over the mentions."""
    rules = gaz.rules
    seats = rules.bloc_seats if named_blocs else {}
    metonym = R.metonym_pattern(rules.metonym_verbs).match
    # code → [spans, weighted mentions, cue bits], in order of first mention
    found: dict[str, list[Any]] = {}
    headline_first: str | None = None
    headline_first_any: str | None = None
    lead_first: str | None = None
    headline_named: set[str] = set()
    headline_place: set[str] = set()
    in_lead: set[str] = set()
    cue_weight = _CUE_WEIGHT
    cue_bit = _CUE_BIT
    for m in mentions:
        slot, start, end, entry, code, cue = m.slot, m.start, m.end, m.entry, m.code, m.cue
        if not code or (seats and seats.get(entry.surface) in named_blocs):
            continue
        part, index, text = parts[slot]
        if part == "dateline":
            if code == dateline_country:
                cue = "dateline"
        elif cue == "city" and entry.capital and metonym(text, end) is not None:
            cue = "metonym"
        if kept is not None:
            m.cue = cue
            kept.append(m)
        span: Span = {"part": part, "index": index, "start": start, "end": end}
        state = found.get(code)
        if state is None:
            found[code] = state = [[span], 0.0, cue_bit.get(cue, 0)]
        else:
            state[0].append(span)
            state[2] |= cue_bit.get(cue, 0)
        if part == "dateline":
            continue
        state[1] += cue_weight.get(cue, 0.5)
        if part == "headline":
            headline_first_any = headline_first_any or code
            if cue == "city":
                headline_place.add(code)
            else:
                headline_named.add(code)
                headline_first = headline_first or code
        elif index == lead:
            in_lead.add(code)
            lead_first = lead_first or code
    if not found:
        return [], None
    weight = {code: state[1] for code, state in found.items()}
    headline_first = headline_first or headline_first_any
    top = max(weight.values()) or 1.0
    raw: dict[str, float] = {}
    for code, w in weight.items():
        raw[code] = (
            (_W_HEADLINE if code in headline_named else _W_HEADLINE_PLACE if code in headline_place else 0.0)
            + _W_HEADLINE_FIRST * (code == headline_first)
            + ((_W_DATELINE if w > 0 else _W_DATELINE / 2) if code == dateline_country else 0.0)
            + _W_DATELINE_HEADLINE * (code == dateline_country and (code in headline_named or code in headline_place))
            + _W_LEAD * (code in in_lead)
            + _W_LEAD_FIRST * (code == lead_first)
            + _W_FREQUENCY * w / top
        )
    # Ties go to the country mentioned first: ``raw`` is in order of first mention and the sort is stable.
    ranked = sorted(raw, key=raw.__getitem__, reverse=True)
    names = gaz.country_names
    cues_of_bits = _CUES_OF_BITS
    rows = []
    for code in ranked:
        spans, _, bits = found[code]
        rows.append(
            {
                "code": code,
                "name": names.get(code, code),
                "mentions": len(spans),
                "score": round(min(1.0, raw[code] / _W_MAX), 4),
                "cues": list(cues_of_bits[bits]),
                "spans": spans,
            }
        )
    return _country_tags(rows), _focus(ranked, raw, weight, headline_named | headline_place, dateline_country)


def _focus(
    ranked: list[str], raw: dict[str, float], weight: dict[str, float], in_headline: set[str], dateline: str | None
) -> str | None:
    """The focus country: the top-ranked one when the headline or the dateline names it, or when it leads the
    others clearly enough (``_FOCUS_MIN_*``); otherwise none."""
    best = ranked[0]
    if best in in_headline or (best == dateline and weight[best] > 0):
        return best
    total = sum(weight.values())
    runner_up = max((weight[c] for c in ranked[1:]), default=0.0)
    if len(ranked) > 1 and weight[best] > runner_up and raw[best] >= _FOCUS_MIN_SALIENCE_LEAD * raw[ranked[1]]:
        return best
    if total and weight[best] / total >= _FOCUS_MIN_SHARE and weight[best] >= _FOCUS_MIN_LEAD * runner_up:
        return best
    return None


def _home_focus(countries: list[CountryTag], home: str | None) -> str | None:
    """The story language's own country when no focus was found and no country is named more often than it:
    local news ties between its country and one other more often than it is about the other."""
    if home is None:
        return None
    most = max(c.mentions for c in countries)
    for c in countries:
        if c.code == home:
            return home if c.mentions == most else None
    return None


def _blocs(gaz: Gazetteer, bloc_mentions: list[_M], tagged: list[str], day: date) -> list[BlocTag]:
    """Blocs the text names (explicit), then blocs derived from the tagged countries' memberships on ``day``."""
    explicit = tuple(dict.fromkeys(m.code for m in bloc_mentions if m.code)) if bloc_mentions else ()
    if not explicit and not tagged:
        return []
    return list(_bloc_tags_of(gaz, explicit, frozenset(tagged), day))


@lru_cache(maxsize=4096)
def _bloc_tags_of(gaz: Gazetteer, explicit: tuple[str, ...], codes: frozenset[str], day: date) -> tuple[BlocTag, ...]:
    """The bloc tags: a function of the named blocs, the tagged countries and the day only, and the same few
    country sets come back story after story, so they are cached (``BlocTag`` is frozen, so stories can share
    them)."""
    return tuple(
        _bloc_tag({"code": code, "name": name, "explicit": named, "members": members})
        for code, name, named, members in _bloc_rows(gaz, explicit, codes, day)
    )


def _bloc_rows(
    gaz: Gazetteer, explicit: tuple[str, ...], codes: frozenset[str], day: date
) -> list[tuple[str, str, bool, tuple[str, ...]]]:
    """``(code, name, explicit, members)`` of each bloc tag: the named blocs first, then the derived ones, the
    most members first."""
    rows: list[tuple[str, str, bool, tuple[str, ...]]] = []
    for code in explicit:
        bloc = gaz.blocs[code]
        rows.append((code, bloc.name, True, tuple(sorted(codes & bloc.members_at(day)))))
    by_member = gaz.blocs_by_member(day)
    derived_codes = {b for c in codes for b in by_member.get(c, ())}.difference(explicit)
    derived: list[tuple[str, str, bool, tuple[str, ...]]] = []
    for bloc in gaz.blocs.values():  # in data-file order
        if bloc.code in derived_codes:
            derived.append((bloc.code, bloc.name, False, tuple(sorted(codes & bloc.members_at(day)))))
    derived.sort(key=lambda b: -len(b[3]))
    return rows + derived
