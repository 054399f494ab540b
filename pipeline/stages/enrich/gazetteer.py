"""The gazetteer: every name the tagger looks for, read once from the data files in ``data/``.

Surfaces are folded (lower case, typographic apostrophes and dashes made plain) and put into Aho-Corasick automata
(ahocorasick-rs): a leftmost-longest one, which reports one match per place in the text and is the one the tagger
runs (over bytes when the folded text is ASCII), and a standard one for every overlapping match, which it runs when
a leftmost match fails in a way that could hide another. All are contiguous NFAs of about 0.3 MB. A DFA takes 8 MB;
alone it passes over a story about a fifth faster, but it measured 3-16 % slower once other stages had pushed it
out of the CPU caches, as they do in the pipeline. Each surface carries one or more entries; the tagger checks case,
language and word boundaries on the original text and keeps the longest match. What it has to check for a surface
is decided here once (``Gazetteer.plans``), so a match costs a tuple lookup.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import ahocorasick_rs
import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"

Kind = Literal["country", "blocker", "bloc", "ambiguous"]
CueName = Literal["name", "demonym", "city", "metonym", "dateline", "code"]
CaseRule = Literal["exact", "cap", "any"]

#: Which entry wins when one surface has several (lower number wins).
_PRIORITY: dict[str, int] = {"ambiguous": 0, "name": 1, "demonym": 1, "bloc": 2, "blocker": 3, "metonym": 4}
_CITY_PRIORITY = 5
_GEONAMES_PRIORITY = 6

#: Characters folded to a plain equivalent of the same length before matching.
_FOLD_CHARS: dict[str, str] = {
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u00a0": " ",
}


#: Typographic characters that no surface contains (``build_gazetteer`` checks). Folding a story's text may turn
#: them into NUL, which no surface contains either, so the matches stay the same.
INERT_CHARS = "\u201c\u201d\u201e\u00ab\u00bb\u2014\u2026\u2022\u00b7"
#: What ``plain`` replaces: the fold characters by their plain equivalent, the inert ones by NUL.
_PLAIN_CHARS: tuple[tuple[str, str], ...] = (*_FOLD_CHARS.items(), *((c, "\x00") for c in INERT_CHARS))


def plain(text: str) -> str:
    """``text`` with its typographic characters replaced (``_PLAIN_CHARS``). Most news text that is not ASCII is so
    only by its quotes and dashes, and lower-casing ASCII is several times faster than lower-casing any other text."""
    for src, dst in _PLAIN_CHARS:
        if src in text:
            text = text.replace(src, dst)
    return text


def _latin1_fold_table() -> bytes:
    """``fold`` of every Latin-1 character, as a ``bytes.translate`` table (the inert characters to NUL): Latin-1
    text, once encoded, folds with one table lookup a character, where ``str.lower`` looks each one up in the
    Unicode database."""
    table = bytearray(256)
    for i in range(256):
        c = chr(i).lower()
        c = _FOLD_CHARS.get(c, c)
        if c in INERT_CHARS:
            c = "\x00"
        if len(c) != 1 or ord(c) > 255:
            raise ValueError(f"{chr(i)!r} does not lower-case to one Latin-1 character")
        table[i] = ord(c)
    return bytes(table)


_LATIN1_FOLD = _latin1_fold_table()


#: Letters past Latin-1 folded to one plain letter, per script, so that spellings that vary in news text match:
#: Greek without its accents (capitals drop them: ΡΩΣΙΑ, Ρωσία) and with one sigma, Russian ё as е, the Arabic
#: alef with hamza or madda as plain alef and alef maqsura as ya, Turkish dotted capital İ as i.
_WIDE_FOLD: dict[str, str] = {
    "ά": "α", "έ": "ε", "ή": "η", "ί": "ι", "ό": "ο", "ύ": "υ", "ώ": "ω", "ϊ": "ι", "ϋ": "υ", "ΐ": "ι", "ΰ": "υ",
    "ς": "σ", "ё": "е", "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "İ": "i",
}  # fmt: skip
#: Everything ``fold_lowered`` replaces, and the letters alone (for text already made ``plain``).
_WIDE_ALL: dict[str, str] = {**_FOLD_CHARS, **_WIDE_FOLD}
_WIDE_RE = re.compile("[" + "".join(_WIDE_ALL) + "]")
_WIDE_LETTER_RE = re.compile("[" + "".join(_WIDE_FOLD) + "]")


def fold(text: str) -> str:
    """Lower-case ``text`` for matching without changing its length (offsets stay valid)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c if len(low := c.lower()) != 1 else low for c in text)
    return fold_lowered(lowered)


def fold_lowered(lowered: str) -> str:
    """The rest of ``fold`` for a text already lower-cased to the same length: typographic characters made plain,
    the letters of ``_WIDE_FOLD`` folded."""
    if lowered.isascii():
        return lowered
    return _replace_found(lowered, _WIDE_RE)


def _replace_found(lowered: str, pattern: re.Pattern[str]) -> str:
    """``lowered`` with each character of ``_WIDE_ALL`` that ``pattern`` finds in it replaced: one ``str.replace``
    per distinct character found, several times faster than ``str.translate`` with a table, which looks every
    character of the text up in a dict."""
    for c in set(pattern.findall(lowered)):
        lowered = lowered.replace(c, _WIDE_ALL[c])
    return lowered


def fold_joined(texts: list[str], joined: str | None = None) -> str:
    """``fold`` of the texts joined by newlines between and around them (``joined``, when the caller has it), in
    which characters no surface contains may be NUL (``plain``). Most texts are ASCII once their quotes and dashes
    are made plain, and are lower-cased at once; most others are Latin-1 (``_LATIN1_FOLD``). Otherwise the plain text
    is lower-cased and the letters of ``_WIDE_FOLD`` found in it are replaced. Where the lower case changes the
    text's length, ``fold`` has to fall back to folding character by character.

    Here, not in the compiled tagger: mypyc's ``str.lower`` lower-cases character by character, without Python's
    final-sigma rule ('ΟΔΟΣ' → 'οδοσ', where Python gives 'οδος'), and the surfaces are folded by Python's."""
    if joined is None:
        joined = "\n" + "\n".join(texts) + "\n"
    if joined.isascii():
        return joined.lower()
    plained = plain(joined)
    if plained.isascii():
        return plained.lower()
    try:
        return plained.encode("latin-1").translate(_LATIN1_FOLD).decode("latin-1")
    except UnicodeEncodeError:  # characters past Latin-1 (Greek, Cyrillic, Turkish …)
        pass
    lowered = plained.lower()
    if len(lowered) != len(plained):
        return fold(joined)
    return _replace_found(lowered, _WIDE_LETTER_RE)


def case_rule(surface: str) -> CaseRule:
    first = next((c for c in surface if c.isalpha()), None)
    if first is None:
        return "exact"
    if not first.isupper():  # lower case, or a script without case (Arabic, CJK)
        return "any"
    letters = [c for c in surface if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return "exact"
    return "cap"


@dataclass(frozen=True, slots=True)
class Entry:
    """One reading of a surface string."""

    surface: str
    kind: Kind
    code: str | None  # country code, bloc code, or None for blockers
    cue: CueName | None
    case: CaseRule
    lang: str | None
    priority: int
    capital: bool = False
    admin: bool = False  # a first-level division (US state), e.g. the 'Idaho' of 'Moscow, Idaho'
    person_name: bool = False  # also a given name or surname (Jordan, Chad): the person rules apply
    name_like: bool = False  # a one-word place written like a name (Sofia, Rivera): the per-mention person rule


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date | None  # inclusive; None = still a member

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True, eq=False)
class Bloc:
    code: str
    name: str
    aliases: tuple[str, ...]
    members: dict[str, tuple[Period, ...]]
    derive: bool = True
    observers: tuple[str, ...] = ()

    def members_at(self, day: date) -> frozenset[str]:
        """Countries that are members on ``day`` (cached per day)."""
        return _members_at(self, day)

    def is_member(self, code: str, day: date) -> bool:
        return any(p.contains(day) for p in self.members.get(code, ()))


@lru_cache(maxsize=4096)
def _members_at(bloc: Bloc, day: date) -> frozenset[str]:
    return frozenset(c for c, periods in bloc.members.items() if any(p.contains(day) for p in periods))


@dataclass(frozen=True, slots=True)
class AmbiguousName:
    candidates: tuple[str, ...]
    default: str
    cue: CueName


@dataclass(slots=True)
class Rules:
    person_names: frozenset[str]
    titles: frozenset[str]
    country_followers: frozenset[str]
    place_preceders: frozenset[str]
    not_first_names: frozenset[str]
    ambiguous: dict[str, AmbiguousName]
    georgia_names: frozenset[str]
    georgia_us_cues: tuple[str, ...]
    georgia_ge_cues: tuple[str, ...]
    georgia_ge_neighbours: frozenset[str]
    metonym_verbs: frozenset[str]
    shouting_acronym_max_len: int
    bloc_seats: dict[str, str]
    home_country: dict[str, str] = field(default_factory=dict)  # story language → its nation (tie-breaks)
    furniture_headings: frozenset[str] = frozenset()  # casefolded: a page's comments, related news …


#: Entry classes: what the tagger does with an entry's match (``entry_class``).
PLAIN = 0  # a country name, demonym or place with no special rule
SPECIAL = 1  # also a person's name, Georgia, or a name several countries share: the story needs those rules
BLOC = 2
BLOCKER = 3
#: Plan rules: the checks a surface's match needs besides word boundaries (``key_plan``).
ANY = 0  # none: one entry, any language, any case
CAP = 1  # its first character upper case: one entry (or several that differ only in language), any language
CHECK = 2  # the entries one by one: language, case, exact spelling (``US``, ``EU``), shouting parts

EntryClass = int
#: An entry with what a mention of it starts with: ``(entry, class, code, cue)``, the cue 'name' when it has none.
Reading = tuple[Entry, EntryClass, str | None, CueName]
#: ``(rule, entry, class, readings, code, cue)``: the first entry's reading serves ANY and CAP; ``readings`` (every
#: entry's, best first) serve CHECK.
KeyPlan = tuple[int, Entry, EntryClass, tuple[Reading, ...], str | None, CueName]


def entry_class(entry: Entry) -> EntryClass:
    if entry.kind == "blocker":
        return BLOCKER
    if entry.kind == "bloc":
        return BLOC
    if entry.kind == "ambiguous" or entry.person_name or entry.name_like or entry.code == "GE":
        return SPECIAL
    return PLAIN


def key_plan(entries: tuple[Entry, ...]) -> KeyPlan:
    """The checks for one surface's entries (best first). The first entry wins when it applies; a later one is
    reached only when an earlier one fails its language or case check. So when the first entry applies to every
    language and its case rule is 'any' (it never fails) or 'cap' with every later entry 'cap' too (they fail
    together), the first entry is the answer whenever the first character's case allows it."""
    first = entries[0]
    readings = tuple((e, entry_class(e), e.code, e.cue or "name") for e in entries)
    rule = CHECK
    if first.lang is None:
        if first.case == "any":
            rule = ANY
        elif first.case == "cap" and all(e.case == "cap" for e in entries):
            rule = CAP
    entry, cls, code, cue = readings[0]
    return (rule, entry, cls, readings, code, cue)


_NFA = ahocorasick_rs.Implementation.ContiguousNFA
#: A language's leftmost automata are DFAs when it has at most this many surfaces: about twice as fast a scan as
#: the contiguous NFA, at about 3 KB a surface (English, 3,200 surfaces: +19 MB for the str and bytes automata),
#: where the 85,000 surfaces every other language matches would take some 700 MB each.
_DFA_MAX_SURFACES = 10_000
_DFA = ahocorasick_rs.Implementation.DFA


def lang_ok(entry_lang: str | None, story_lang: str) -> bool:
    """Whether an entry of language ``entry_lang`` (None: every language; 'intl': every one but English; 'nb'
    also Norwegian 'no' and 'nn') applies to a story in ``story_lang``."""
    if entry_lang is None:
        return True
    if entry_lang == "intl":
        return story_lang != "en"
    if entry_lang == "nb":
        return story_lang in ("nb", "no", "nn")
    return entry_lang == story_lang


@dataclass(slots=True, eq=False)
class Gazetteer:
    """Every surface with its entries, and its automata. The tagger matches a story with the gazetteer of its
    language (``for_language``): the surfaces that have an entry for that language, so that an English story is
    not slowed down by the names of eighteen other languages. Automata are built on first use."""

    key_entries: list[tuple[Entry, ...]]  # pattern i's entries, best first
    country_names: dict[str, str]
    blocs: dict[str, Bloc]
    rules: Rules
    surfaces: int = 0
    entries_by_surface: dict[str, tuple[Entry, ...]] = field(default_factory=dict)  # every surface, all languages
    plans: list[KeyPlan] = field(default_factory=list)  # pattern i's checks: key_plan(key_entries[i])
    longest: int = 0  # characters in the longest surface
    keys: list[str] = field(default_factory=list)  # pattern i's folded surface
    language: str | None = None  # the story language this gazetteer serves (None: every one)
    views: dict[str, Gazetteer] = field(default_factory=dict)  # per story language, built on first use
    automata: dict[str, object] = field(default_factory=dict)  # built on first use

    def __post_init__(self) -> None:
        if not self.keys:
            self.keys = list(self.entries_by_surface)
        if not self.plans:
            self.plans = [key_plan(entries) for entries in self.key_entries]
        if not self.longest:
            self.longest = max(map(len, self.entries_by_surface), default=0)

    def _automaton(self, kind: str) -> object:
        auto = self.automata.get(kind)
        if auto is None:
            small = self.language is not None and len(self.keys) <= _DFA_MAX_SURFACES
            leftmost = _DFA if small else _NFA
            if kind == "bytes":
                auto = ahocorasick_rs.BytesAhoCorasick(
                    [k.encode() for k in self.keys], matchkind=ahocorasick_rs.MatchKind.LeftmostLongest,
                    implementation=leftmost,
                )  # fmt: skip
            elif kind == "all":  # rarely needed: the compact NFA
                auto = ahocorasick_rs.AhoCorasick(
                    self.keys, matchkind=ahocorasick_rs.MatchKind.Standard, implementation=_NFA
                )
            else:
                auto = ahocorasick_rs.AhoCorasick(
                    self.keys, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest, implementation=leftmost
                )
            self.automata[kind] = auto
        return auto

    @property
    def leftmost(self) -> ahocorasick_rs.AhoCorasick:
        """Leftmost-longest: one match per place in the text; the pass the tagger runs."""
        return self._automaton("leftmost")  # type: ignore[return-value]

    @property
    def leftmost_bytes(self) -> ahocorasick_rs.BytesAhoCorasick:
        """``leftmost`` over UTF-8: on ASCII text (most folded text) the same matches at the same offsets, without
        the conversion of a str's offsets, which costs about a tenth of the pass."""
        return self._automaton("bytes")  # type: ignore[return-value]

    @property
    def matcher(self) -> ahocorasick_rs.AhoCorasick:
        """Every match, overlapping ones included: only a leftmost match that fails in a way that could hide
        another needs it."""
        return self._automaton("all")  # type: ignore[return-value]

    def for_language(self, lang: str) -> Gazetteer:
        """The gazetteer of the surfaces with an entry that applies to stories in ``lang`` (cached)."""
        view = self.views.get(lang)
        if view is None:
            index = [i for i, entries in enumerate(self.key_entries) if any(lang_ok(e.lang, lang) for e in entries)]
            view = Gazetteer(
                key_entries=[self.key_entries[i] for i in index],
                country_names=self.country_names,
                blocs=self.blocs,
                rules=self.rules,
                surfaces=len(index),
                entries_by_surface=self.entries_by_surface,
                plans=[self.plans[i] for i in index],
                longest=self.longest,
                keys=[self.keys[i] for i in index],
                language=lang,
            )
            self.views[lang] = view
        return view

    def blocs_by_member(self, day: date) -> dict[str, tuple[str, ...]]:
        """Country code → codes of the derivable blocs it is a member of on ``day`` (cached per day)."""
        return _blocs_by_member(self, day)

    def lookup(self, surface: str) -> tuple[Entry, ...]:
        """Entries of an exact (folded) surface, best first."""
        return self.entries_by_surface.get(fold(surface), ())


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            row
            for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            if row and row[0] and not row[0].startswith("#")
        ]


def _split(cell: str) -> list[tuple[str, str | None]]:
    """``"Norway|nb:Norge"`` → ``[("Norway", None), ("Norge", "nb")]``."""
    out: list[tuple[str, str | None]] = []
    for item in cell.split("|"):
        item = item.strip()
        if not item:
            continue
        lang, sep, rest = item.partition(":")
        if sep and 2 <= len(lang) <= 3 and lang.islower() and rest:
            out.append((rest.strip(), lang))
        else:
            out.append((item, None))
    return out


def _period(text: str) -> Period:
    start, _, end = str(text).partition("..")
    return Period(date.fromisoformat(start.strip()), date.fromisoformat(end.strip()) if end.strip() else None)


def load_blocs(path: Path | None = None) -> dict[str, Bloc]:
    raw = yaml.safe_load((path or DATA_DIR / "blocs.yaml").read_text(encoding="utf-8"))
    blocs: dict[str, Bloc] = {}
    for code, spec in raw.items():
        members = {str(cc): tuple(_period(p) for p in periods) for cc, periods in (spec.get("members") or {}).items()}
        blocs[code] = Bloc(
            code=code,
            name=spec["name"],
            aliases=tuple(spec.get("aliases") or ()),
            members=members,
            derive=bool(spec.get("derive", True)),
            observers=tuple(str(o) for o in spec.get("observers") or ()),
        )
    return blocs


def load_rules(path: Path | None = None) -> tuple[Rules, tuple[str, ...]]:
    """The disambiguation rules and the US state abbreviations."""
    raw = yaml.safe_load((path or DATA_DIR / "rules.yaml").read_text(encoding="utf-8"))
    geo = raw["georgia"]
    return Rules(
        person_names=frozenset(raw["person_names"]),
        titles=frozenset(raw["titles"]),
        country_followers=frozenset(raw["country_followers"]),
        place_preceders=frozenset(raw["place_preceders"]),
        not_first_names=frozenset(raw["not_first_names"]),
        ambiguous={
            k: AmbiguousName(tuple(v["candidates"]), v["default"], v.get("cue", "name"))
            for k, v in raw["ambiguous"].items()
        },
        georgia_names=frozenset(geo["names"]),
        georgia_us_cues=tuple(geo["us_cues"]),
        georgia_ge_cues=tuple(geo["ge_cues"]),
        georgia_ge_neighbours=frozenset(geo["ge_neighbours"]),
        metonym_verbs=frozenset(raw["metonym_verbs"]),
        shouting_acronym_max_len=int(raw["shouting_acronym_max_len"]),
        bloc_seats={str(k): str(v) for k, v in (raw.get("bloc_seats") or {}).items()},
        home_country={str(k): str(v) for k, v in (raw.get("home_country") or {}).items()},
        furniture_headings=frozenset(str(h).casefold() for h in raw.get("furniture_headings") or ()),
    ), tuple(raw["us_state_abbreviations"])


def _plural(demonym: str) -> str | None:
    if demonym[-1:].islower() and not demonym.endswith(("ese", "sh", "ch", "ss", "s", "z", "x", "i")):
        return demonym + "s"
    if demonym.endswith("i") and demonym[0].isupper():
        return demonym + "s"  # Pakistanis, Emiratis, Israelis
    return None


def _name_like(surface: str) -> bool:
    """A one-word Latin-script place name written like a given name or surname (Sofia, Rivera, Virginia)."""
    return surface.isalpha() and surface[:1].isupper() and surface[1:].islower() and max(surface) < "\u0250"


def build_gazetteer(data_dir: Path = DATA_DIR, languages: bool = True) -> Gazetteer:
    """The gazetteer from the data files; ``languages=False`` leaves out ``names_i18n.tsv`` (the names in other
    languages), for comparison."""
    entries: list[Entry] = []
    country_names: dict[str, str] = {}

    rules, state_abbreviations = load_rules(data_dir / "rules.yaml")

    def add(
        surface: str,
        kind: Kind,
        code: str | None,
        cue: CueName | None,
        lang: str | None,
        priority: int,
        capital: bool = False,
        admin: bool = False,
    ) -> None:
        person = surface in rules.person_names
        name_like = not person and cue == "city" and _name_like(surface)
        entries.append(
            Entry(surface, kind, code, cue, case_rule(surface), lang, priority, capital, admin, person, name_like)
        )

    for row in _rows(data_dir / "countries.tsv"):
        code, name = row[0], row[1]
        country_names[code] = name
        for alias, lang in [*_split(row[2]), (name, None)]:
            add(alias, "country", code, "name", lang, _PRIORITY["name"])
        for demonym, lang in _split(row[3] if len(row) > 3 else ""):
            add(demonym, "country", code, "demonym", lang, _PRIORITY["demonym"])
            if lang is None and (plural := _plural(demonym)):
                add(plural, "country", code, "demonym", None, _PRIORITY["demonym"])

    for surface, amb in rules.ambiguous.items():
        add(surface, "ambiguous", None, amb.cue, None, _PRIORITY["ambiguous"])

    for row in _rows(data_dir / "not_places.tsv"):
        add(row[0], "blocker", None, None, None, _PRIORITY["blocker"])

    for row in _rows(data_dir / "places.tsv"):
        cue: CueName = "metonym" if row[2] == "metonym" else "city"
        prio = _PRIORITY["metonym"] if cue == "metonym" else _CITY_PRIORITY
        for surface, lang in _split(row[0]):
            add(surface, "country", row[1], cue, lang, prio, capital=row[2] == "capital", admin=row[2] == "admin")
    for abbr in state_abbreviations:  # AP style, for English stories ('ORE.' is Italian 'hours')
        add(abbr, "country", "US", "city", "en", _CITY_PRIORITY, admin=True)

    for row in _rows(data_dir / "geonames_places.tsv"):
        name, code, kind = row[0], row[1], row[2]
        add(name, "country", code, "city", None, _GEONAMES_PRIORITY, capital=kind == "capital", admin=kind == "state")

    blocs = load_blocs(data_dir / "blocs.yaml")
    for bloc in blocs.values():
        for alias, lang in _split("|".join(bloc.aliases)):
            add(alias, "bloc", bloc.code, None, lang, _PRIORITY["bloc"])

    # Names in other languages (derived by build.py). Both '*' (names in other scripts) and 'intl' (Latin
    # alternate names of cities) apply to every language but English: English stories are matched against the
    # English names alone.
    i18n = data_dir / "names_i18n.tsv"
    for surface, code, kind, scope in _rows(i18n) if languages and i18n.exists() else ():
        lang = "intl" if scope == "*" else scope
        if kind == "name":
            add(surface, "country", code, "name", lang, _PRIORITY["name"])
        elif kind == "demonym":
            add(surface, "country", code, "demonym", lang, _PRIORITY["demonym"])
        elif kind == "metonym":
            add(surface, "country", code, "metonym", lang, _PRIORITY["metonym"])
        elif kind == "city" or kind == "capital":
            add(surface, "country", code, "city", lang, _GEONAMES_PRIORITY, capital=kind == "capital")
        elif kind == "region":  # a state, province or region: like a US state ('Lenzburg, Aargau')
            add(surface, "country", code, "city", lang, _GEONAMES_PRIORITY, admin=True)
        elif kind == "bloc":
            add(surface, "bloc", code, None, lang, _PRIORITY["bloc"])
        elif kind == "blocker":  # "en inglés": the language, not the country
            add(surface, "blocker", None, None, lang, _PRIORITY["blocker"])
        elif kind == "ambiguous" and surface not in rules.ambiguous:
            candidates = tuple(code.split("|"))
            rules.ambiguous[surface] = AmbiguousName(candidates, candidates[0], "name")
            add(surface, "ambiguous", None, "name", lang, _PRIORITY["ambiguous"])

    by_surface: dict[str, list[Entry]] = {}
    for e in entries:
        bucket = by_surface.setdefault(fold(e.surface), [])
        if not any(x.kind == e.kind and x.code == e.code and x.lang == e.lang and x.case == e.case for x in bucket):
            bucket.append(e)
    frozen: dict[str, tuple[Entry, ...]] = {}
    for key, bucket in by_surface.items():
        bucket.sort(key=lambda e: e.priority)
        frozen[key] = tuple(bucket)

    # Every surface is matched on folded text in one pass; exact-case surfaces (US, EU, U.S.) are then checked
    # against the original text, so 'us' inside 'focus' is dropped by the word-boundary test.
    keys = list(frozen)
    if re.search(f"[{INERT_CHARS}\x00]", "\n".join(keys)):
        raise ValueError(f"a surface contains one of {INERT_CHARS!r} or NUL, which the tagger folds away: drop it")
    return Gazetteer(
        key_entries=[frozen[k] for k in keys],
        keys=keys,
        country_names=country_names,
        blocs=blocs,
        rules=rules,
        surfaces=len(frozen),
        entries_by_surface=frozen,
    )


@lru_cache(maxsize=4096)
def _blocs_by_member(gaz: Gazetteer, day: date) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for bloc in gaz.blocs.values():
        if bloc.derive:
            for code in bloc.members_at(day):
                index.setdefault(code, []).append(bloc.code)
    return {code: tuple(blocs) for code, blocs in index.items()}


#: What ``load_gazetteer`` returns: built by its first call, or given by ``use_gazetteer``.
_LOADED: list[Gazetteer] = []


def load_gazetteer() -> Gazetteer:
    """The packaged gazetteer, built once per process (unless ``use_gazetteer`` gave it)."""
    if not _LOADED:
        _LOADED.append(build_gazetteer())
    return _LOADED[0]


def use_gazetteer(gaz: Gazetteer) -> None:
    """Make ``gaz`` the one ``load_gazetteer`` returns: the packaged gazetteer loaded another way (a snapshot of
    ``build_gazetteer()``, see ``snapshot.py``)."""
    _LOADED[:] = [gaz]
