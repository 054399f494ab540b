"""Country, place and bloc tagging of one story: one automaton pass per text part, then the rules."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from pydantic import BaseModel

from pipeline.stages.enrich import rules as R
from pipeline.stages.enrich.gazetteer import _FOLD_TABLE, CueName, Entry, Gazetteer, fold, load_gazetteer
from schemas.enriched import BlocTag, CountryTag, Span, TextPart
from schemas.story import Story

M = TypeVar("M", bound=BaseModel)

#: Order in which cue types are listed on a tag.
_CUE_ORDER: tuple[CueName, ...] = ("name", "demonym", "city", "metonym", "dateline", "code")
#: Weight of one mention by cue type, for salience.
_CUE_WEIGHT: dict[str, float] = {"name": 1.0, "demonym": 0.7, "city": 0.8, "metonym": 0.9, "dateline": 0.5}
#: Salience features. A country's score is their sum divided by the most a country can get (``_W_MAX``).
_W_HEADLINE = 2.0  # named in the headline (by name, demonym or metonym) …
_W_HEADLINE_PLACE = 1.0  # … or only by a place in it ("summit in Lima")
_W_HEADLINE_FIRST = 1.5  # the headline's first country named by name/demonym/metonym: usually its subject
_W_DATELINE = 1.0  # where the story was filed; half when the text never names the country again
_W_LEAD = 1.0  # named in the first paragraph
_W_LEAD_FIRST = 0.5  # the first paragraph's first country
_W_FREQUENCY = 3.0  # mentions weighted by cue, relative to the most-mentioned country
_W_MAX = _W_HEADLINE + _W_HEADLINE_FIRST + _W_DATELINE + _W_LEAD + _W_LEAD_FIRST + _W_FREQUENCY
#: Without a headline or dateline country, a focus needs this share of the weighted mentions and this lead over
#: the runner-up; otherwise the story (a regional round-up) has no focus country.
_FOCUS_MIN_SHARE = 0.4
_FOCUS_MIN_LEAD = 1.5


def _build(cls: type[M], **values: object) -> M:
    """A model instance from values this module computed and already knows to be valid (every field given).

    Equivalent to ``cls.model_construct(**values)`` for models without defaults to fill, at a fraction of the
    cost; the stage builds tens of these per story.
    """
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


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


def _lang_ok(entry_lang: str | None, story_lang: str) -> bool:
    if entry_lang is None:
        return True
    if entry_lang == "nb":
        return story_lang in ("nb", "no", "nn")
    return entry_lang == story_lang


def _case_ok(entry: Entry, original: str, shouting: bool, max_acronym: int) -> bool:
    if entry.case == "any":
        return True
    if entry.case == "exact":
        if shouting and sum(c.isalpha() for c in entry.surface) <= max_acronym:
            return False
        return original.translate(_FOLD_TABLE) == entry.surface.translate(_FOLD_TABLE)
    for c in original:
        if c.isalpha():
            return c.isupper()
    return False


def scan(gaz: Gazetteer, text: str, part: TextPart, index: int, story_lang: str) -> list[Mention]:
    """Longest, non-overlapping, boundary- and case-checked matches in one text part (blockers included)."""
    if not text:
        return []
    shouting = R.is_shouting(text) if part != "body" else False
    max_acronym = gaz.rules.shouting_acronym_max_len
    n = len(text)
    found: list[tuple[int, int, Entry]] = []
    for last, (length, entries) in gaz.automaton.iter(fold(text)):
        start = last - length + 1
        end = last + 1
        if (start > 0 and text[start - 1].isalnum()) or (end < n and text[end].isalnum()):
            continue
        original = text[start:end]
        for entry in entries:
            if _lang_ok(entry.lang, story_lang) and _case_ok(entry, original, shouting, max_acronym):
                found.append((start, end, entry))
                break
    found.sort(key=lambda f: (f[0], -f[1]))
    out: list[Mention] = []
    last_end = -1
    for start, end, entry in found:
        if start >= last_end:
            out.append(Mention(part, index, start, end, entry, entry.code, entry.cue or "name"))
            last_end = end
    return out


def _story_date(story: Story) -> date:
    return (story.versioncreated or story.firstcreated).date()


def _parts(story: Story) -> list[tuple[TextPart, int, str]]:
    parts: list[tuple[TextPart, int, str]] = [("headline", 0, story.headline)]
    if story.dateline is not None and story.dateline.text:
        parts.append(("dateline", 0, story.dateline.text))
    parts.extend(("body", i, p) for i, p in enumerate(story.body))
    return parts


def tag(story: Story, gaz: Gazetteer | None = None) -> Tags:
    gaz = gaz or load_gazetteer()
    rules = gaz.rules
    lang = (story.language or "en").split("-")[0].lower()
    parts = _parts(story)
    texts = {(p, i): t for p, i, t in parts}

    # 1. Scan every part; keep countries, ambiguous names and blocs; drop blockers.
    mentions: list[Mention] = []
    bloc_mentions: list[Mention] = []
    for part, index, text in parts:
        found = scan(gaz, text, part, index, lang)
        place_starts = frozenset(m.start for m in found if m.entry.kind != "bloc")
        title_case = part == "headline" and R.is_title_case(text)
        for m in found:
            if m.entry.kind == "blocker":
                continue
            if m.entry.kind == "bloc":
                bloc_mentions.append(m)
                continue
            # 2. Person names (Michael Jordan, Chad Smith): evidence per mention.
            if text[m.start : m.end] in rules.person_names:
                m.person_checked = True
                m.evidence = R.person_evidence(rules, text, m.start, m.end, title_case, place_starts)
            mentions.append(m)
    mentions = _apply_person_rule(mentions, texts)

    # 3. Georgia: the country or the US state.
    georgia = [m for m in mentions if m.code == "GE" and m.entry.surface in ("Georgia", "Georgian", "Georgians")]
    if georgia:
        full = "\n".join(t for _, _, t in parts)
        others = [m.code for m in mentions if m.code and m.code != "GE"]
        us_places = sum(1 for m in mentions if m.code == "US" and m.cue in ("city", "metonym"))
        if R.georgia_is_us_state(rules, full, others, us_places):
            for m in georgia:
                m.code, m.cue = "US", "city"

    # 4. Names shared by several countries (Congo, Korea).
    named = {m.code for m in mentions if m.code and m.entry.kind == "country"}
    for m in mentions:
        if m.entry.kind == "ambiguous":
            amb = rules.ambiguous[m.entry.surface]
            m.code = R.resolve_ambiguous(amb.candidates, amb.default, named)

    # 5. 'Moscow, Idaho': a city followed by ', <state or country>' of another country belongs there.
    for a, b in itertools.pairwise(mentions):
        if (
            a.cue == "city"
            and (a.part, a.index) == (b.part, b.index)
            and b.start == a.end + 2
            and texts[(a.part, a.index)][a.end : b.start] == ", "
            and (b.entry.admin or b.cue == "name")
            and a.code != b.code
            and not _continues_list(texts[(b.part, b.index)], b, mentions)
        ):
            a.code = b.code
    # 6. A capital standing for its government.
    for m in mentions:
        if m.entry.capital and m.cue == "city" and R.is_metonym_use(rules, texts[(m.part, m.index)], m.end):
            m.cue = "metonym"
    # 7. The dateline.
    dateline_country = _dateline_country(story, gaz, mentions)
    for m in mentions:
        if m.part == "dateline" and m.code == dateline_country:
            m.cue = "dateline"

    # 8. A bloc's seat in a story that names the bloc stands for the bloc (Brussels → EU, not BE).
    named_blocs = {m.code for m in bloc_mentions}
    if named_blocs:
        mentions = [m for m in mentions if rules.bloc_seats.get(m.entry.surface) not in named_blocs]
    mentions = [m for m in mentions if m.code]
    countries, focus = _score(gaz, mentions, dateline_country)
    blocs = _blocs(gaz, bloc_mentions, {c.code for c in countries}, _story_date(story))
    return Tags(countries, focus, blocs, dateline_country, mentions)


def _continues_list(text: str, b: Mention, mentions: list[Mention]) -> bool:
    """True when the place at ``b`` is one item of a list ('Paris, Berlin and Rome')."""
    tail = text[b.end : b.end + 6]
    if tail.startswith((" and ", ", and ", " or ")):
        return True
    return tail.startswith(", ") and any((m.part, m.index, m.start) == (b.part, b.index, b.end + 2) for m in mentions)


def _apply_person_rule(mentions: list[Mention], texts: dict[tuple[str, int], str]) -> list[Mention]:
    """Drop mentions read as person names. A name with person evidence and no place evidence anywhere in the
    story is a person in all its mentions ('Jordan said' after 'Michael Jordan')."""
    by_surface: dict[str, set[str | None]] = {}
    for m in mentions:
        if m.person_checked:
            by_surface.setdefault(texts[(m.part, m.index)][m.start : m.end], set()).add(m.evidence)
    person_only = {s for s, evs in by_surface.items() if "person" in evs and "place" not in evs}
    return [
        m
        for m in mentions
        if m.evidence != "person"
        and not (m.person_checked and texts[(m.part, m.index)][m.start : m.end] in person_only)
    ]


def _dateline_country(story: Story, gaz: Gazetteer, mentions: list[Mention]) -> str | None:
    if story.dateline is None:
        return None
    if story.dateline.country:
        return story.dateline.country
    for m in mentions:
        if m.part == "dateline" and m.code:
            return m.code
    if story.dateline.place:
        for entry in gaz.lookup(story.dateline.place):
            if entry.kind == "country" and entry.code:
                return entry.code
    return None


def _score(
    gaz: Gazetteer, mentions: list[Mention], dateline_country: str | None
) -> tuple[list[CountryTag], str | None]:
    weight: dict[str, float] = {}
    first_seen: dict[str, tuple[int, int, int]] = {}
    headline_first: str | None = None
    headline_first_any: str | None = None
    lead_first: str | None = None
    headline_named: set[str] = set()
    headline_place: set[str] = set()
    in_lead: set[str] = set()
    for m in mentions:
        code = m.code
        assert code is not None
        order = {"headline": 0, "dateline": 1, "body": 2}[m.part]
        first_seen.setdefault(code, (order, m.index, m.start))
        if m.part == "dateline":
            weight.setdefault(code, 0.0)
            continue
        weight[code] = weight.get(code, 0.0) + _CUE_WEIGHT.get(m.cue, 0.5)
        if m.part == "headline":
            headline_first_any = headline_first_any or code
            if m.cue == "city":
                headline_place.add(code)
            else:
                headline_named.add(code)
                headline_first = headline_first or code
        elif m.index == 0:
            in_lead.add(code)
            lead_first = lead_first or code
    if not weight:
        return [], None
    headline_first = headline_first or headline_first_any
    top = max(weight.values()) or 1.0
    raw: dict[str, float] = {}
    for code, w in weight.items():
        on_dateline = code == dateline_country
        raw[code] = (
            (_W_HEADLINE if code in headline_named else _W_HEADLINE_PLACE if code in headline_place else 0.0)
            + _W_HEADLINE_FIRST * (code == headline_first)
            + (_W_DATELINE if w > 0 else _W_DATELINE / 2) * on_dateline
            + _W_LEAD * (code in in_lead)
            + _W_LEAD_FIRST * (code == lead_first)
            + _W_FREQUENCY * w / top
        )
    ranked = sorted(raw, key=lambda c: (-raw[c], first_seen[c]))
    tags: list[CountryTag] = []
    for code in ranked:
        own = [m for m in mentions if m.code == code]
        cues = {m.cue for m in own}
        tags.append(
            _build(
                CountryTag,
                code=code,
                name=gaz.country_names.get(code, code),
                mentions=len(own),
                score=round(min(1.0, raw[code] / _W_MAX), 4),
                cues=[c for c in _CUE_ORDER if c in cues],
                spans=[_build(Span, part=m.part, index=m.index, start=m.start, end=m.end) for m in own],
            )
        )
    return tags, _focus(ranked, weight, headline_named | headline_place, dateline_country)


def _focus(ranked: list[str], weight: dict[str, float], in_headline: set[str], dateline: str | None) -> str | None:
    best = ranked[0]
    if best in in_headline or (best == dateline and weight[best] > 0):
        return best
    total = sum(weight.values())
    runner_up = max((weight[c] for c in ranked[1:]), default=0.0)
    if total and weight[best] / total >= _FOCUS_MIN_SHARE and weight[best] >= _FOCUS_MIN_LEAD * runner_up:
        return best
    return None


def _blocs(gaz: Gazetteer, bloc_mentions: list[Mention], codes: set[str], day: date) -> list[BlocTag]:
    explicit = list(dict.fromkeys(m.code for m in bloc_mentions if m.code))
    out: list[BlocTag] = []
    for code in explicit:
        bloc = gaz.blocs[code]
        members = sorted(codes & bloc.members_at(day))
        out.append(_build(BlocTag, code=code, name=bloc.name, explicit=True, members=members))
    derived: list[BlocTag] = []
    for bloc in gaz.blocs.values():
        if not bloc.derive or bloc.code in explicit:
            continue
        members_now = bloc.members_at(day)
        if not members_now.isdisjoint(codes):
            members = sorted(codes & members_now)
            derived.append(_build(BlocTag, code=bloc.code, name=bloc.name, explicit=False, members=members))
    derived.sort(key=lambda b: -len(b.members))
    return out + derived
