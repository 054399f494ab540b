"""Country, place and bloc tagging of one story: one automaton pass over all its text, then the rules."""

from __future__ import annotations

import itertools
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date

from pipeline.stages.enrich import rules as R
from pipeline.stages.enrich.gazetteer import CueName, Entry, Gazetteer, fold, load_gazetteer
from pipeline.stages.enrich.trusted import trusted
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
#: the runner-up; otherwise the story (a regional round-up) has no focus country.
_FOCUS_MIN_SHARE = 0.4
_FOCUS_MIN_LEAD = 1.5


# Tags and spans are built from values this module computed (codes and names from the gazetteer, offsets into
# the story's own text, rounded scores in [0, 1]): no re-validation (see trusted.py).
_country_tag = trusted(CountryTag)
_bloc_tag = trusted(BlocTag)
_span = trusted(Span)


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


#: Languages whose genitive is a bare -s on the name (Sveriges, Natos, Indias): the name still matches.
_GENITIVE_S_LANGS = frozenset({"nb", "no", "nn", "sv", "da"})


def _is_genitive_s(text: str, end: int, n: int) -> bool:
    return text[end] == "s" and (end + 1 == n or not text[end + 1].isalnum())


def scan(gaz: Gazetteer, parts: list[tuple[TextPart, int, str]], story_lang: str) -> list[Mention]:
    """Longest, non-overlapping, boundary- and case-checked matches in every part (blockers included).

    The parts are joined with newlines (no surface contains one) and matched in one pass.
    """
    joined = "\n".join(t for _, _, t in parts)
    starts: list[int] = []
    pos = 0
    for _, _, t in parts:
        starts.append(pos)
        pos += len(t) + 1
    n = len(joined)
    genitive = story_lang in _GENITIVE_S_LANGS
    key_entries = gaz.key_entries
    max_acronym = gaz.rules.shouting_acronym_max_len
    shouting: dict[int, bool] = {}
    found: list[tuple[int, int, Entry]] = []  # (start, -end, entry): sorted, the longest match first
    for key, start, end in gaz.matcher.find_matches_as_indexes(fold(joined), overlapping=True):
        if (start > 0 and joined[start - 1].isalnum()) or (
            end < n and joined[end].isalnum() and not (genitive and _is_genitive_s(joined, end, n))
        ):
            continue
        for entry in key_entries[key]:
            if entry.lang is not None and not _lang_ok(entry.lang, story_lang):
                continue
            case = entry.case
            if case == "cap":
                if not joined[start].isupper():
                    continue
            elif case == "exact":
                if joined[start:end] != entry.surface:
                    continue
                if sum(c.isalpha() for c in entry.surface) <= max_acronym:
                    k = bisect_right(starts, start) - 1
                    if parts[k][0] != "body":
                        if k not in shouting:
                            shouting[k] = R.is_shouting(parts[k][2])
                        if shouting[k]:
                            continue
            found.append((start, -end, entry))
            break
    found.sort()  # (start, -end) is unique per match (one entry per surface), so entries are never compared
    out: list[Mention] = []
    last_end = -1
    for start, neg_end, entry in found:
        end = -neg_end
        if start >= last_end:
            k = bisect_right(starts, start) - 1
            part, index, _ = parts[k]
            offset = starts[k]
            out.append(Mention(part, index, start - offset, end - offset, entry, entry.code, entry.cue or "name"))
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
    """Countries (with spans, cues and salience), the focus country, bloc tags and the dateline country of the
    story's text (headline, dateline, body). ``gaz`` defaults to the packaged gazetteer."""
    gaz = gaz or load_gazetteer()
    rules = gaz.rules
    lang = (story.language or "en").split("-")[0].lower()
    parts = _parts(story)
    texts = {(p, i): t for p, i, t in parts}

    # 1. Scan every part; keep countries, ambiguous names and blocs; drop blockers.
    found = scan(gaz, parts, lang)
    mentions: list[Mention] = []
    bloc_mentions: list[Mention] = []
    has_person = has_georgia = has_ambiguous = False
    for m in found:
        entry = m.entry
        kind = entry.kind
        if kind == "blocker":
            continue
        if kind == "bloc":
            bloc_mentions.append(m)
            continue
        mentions.append(m)
        has_person = has_person or entry.person_name
        if kind == "ambiguous":
            has_ambiguous = True
        elif m.code == "GE":
            has_georgia = True

    # 2. Person names (Michael Jordan, Chad Smith): evidence per mention, then per story.
    if has_person:
        for m in mentions:
            if m.entry.person_name:
                text = texts[(m.part, m.index)]
                place_starts = frozenset(
                    x.start for x in found if x.part == m.part and x.index == m.index and x.entry.kind != "bloc"
                )
                title_case = m.part == "headline" and R.is_title_case(text)
                m.person_checked = True
                m.evidence = R.person_evidence(rules, text, m.start, m.end, title_case, place_starts)
        mentions = _apply_person_rule(mentions, texts)

    # 3. Georgia: the country or the US state.
    if has_georgia:
        georgia = [m for m in mentions if m.code == "GE" and m.entry.surface in ("Georgia", "Georgian", "Georgians")]
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

    # 5. 'Moscow, Idaho': a city followed by ', <state or country>' of another country belongs there.
    for a, b in itertools.pairwise(mentions):
        if (
            a.cue == "city"
            and b.start == a.end + 2
            and (a.part, a.index) == (b.part, b.index)
            and (b.entry.admin or b.cue == "name")
            and a.code != b.code
            and texts[(a.part, a.index)][a.end : b.start] == ", "
            and not _continues_list(texts[(b.part, b.index)], b, mentions)
        ):
            a.code = b.code

    # 6. The dateline country; 7. capitals standing for their government; 8. a bloc's seat in a story that
    # names the bloc stands for the bloc (Brussels → EU, not BE). One pass.
    dateline_country = _dateline_country(story, gaz, mentions)
    named_blocs = {m.code for m in bloc_mentions}
    seats = rules.bloc_seats
    kept: list[Mention] = []
    for m in mentions:
        if not m.code or (named_blocs and seats.get(m.entry.surface) in named_blocs):
            continue
        if m.part == "dateline":
            if m.code == dateline_country:
                m.cue = "dateline"
        elif m.entry.capital and m.cue == "city" and R.is_metonym_use(rules, texts[(m.part, m.index)], m.end):
            m.cue = "metonym"
        kept.append(m)
    mentions = kept
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
    own: dict[str, list[Mention]] = {}
    headline_first: str | None = None
    headline_first_any: str | None = None
    lead_first: str | None = None
    headline_named: set[str] = set()
    headline_place: set[str] = set()
    in_lead: set[str] = set()
    cue_weight = _CUE_WEIGHT
    for m in mentions:
        code = m.code
        assert code is not None
        bucket = own.get(code)
        if bucket is None:
            own[code] = bucket = []
            weight[code] = 0.0
        bucket.append(m)
        part = m.part
        if part == "dateline":
            continue
        weight[code] += cue_weight.get(m.cue, 0.5)
        if part == "headline":
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
        raw[code] = (
            (_W_HEADLINE if code in headline_named else _W_HEADLINE_PLACE if code in headline_place else 0.0)
            + _W_HEADLINE_FIRST * (code == headline_first)
            + ((_W_DATELINE if w > 0 else _W_DATELINE / 2) if code == dateline_country else 0.0)
            + _W_DATELINE_HEADLINE * (code == dateline_country and (code in headline_named or code in headline_place))
            + _W_LEAD * (code in in_lead)
            + _W_LEAD_FIRST * (code == lead_first)
            + _W_FREQUENCY * w / top
        )
    # Ties go to the country mentioned first (own is in order of first mention).
    order = {code: i for i, code in enumerate(own)}
    ranked = sorted(raw, key=lambda c: (-raw[c], order[c]))
    names = gaz.country_names
    rows: list[CountryTag] = []
    for code in ranked:
        found = own[code]
        cues = {m.cue for m in found}
        rows.append(
            _country_tag(
                {
                    "code": code,
                    "name": names.get(code, code),
                    "mentions": len(found),
                    "score": round(min(1.0, raw[code] / _W_MAX), 4),
                    "cues": [c for c in _CUE_ORDER if c in cues],
                    "spans": [_span({"part": m.part, "index": m.index, "start": m.start, "end": m.end}) for m in found],
                }
            )
        )
    return rows, _focus(ranked, weight, headline_named | headline_place, dateline_country)


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
    rows: list[BlocTag] = []
    for code in explicit:
        bloc = gaz.blocs[code]
        rows.append(
            _bloc_tag(
                {"code": code, "name": bloc.name, "explicit": True, "members": sorted(codes & bloc.members_at(day))}
            )
        )
    by_member = gaz.blocs_by_member(day)
    derived_codes = {b for c in codes for b in by_member.get(c, ())}.difference(explicit)
    derived: list[BlocTag] = []
    for bloc in gaz.blocs.values():  # in data-file order
        if bloc.code in derived_codes:
            members = sorted(codes & bloc.members_at(day))
            derived.append(_bloc_tag({"code": bloc.code, "name": bloc.name, "explicit": False, "members": members}))
    derived.sort(key=lambda b: -len(b.members))
    return rows + derived
