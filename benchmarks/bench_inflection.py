"""Inflected country and city names: the generated forms of the gazetteer against a lemmatiser run on each word
(pymorphy3 for Russian, simplemma for the others), on forms written by hand; and the lemmatisers' cost per word.

``python -m benchmarks.bench_inflection`` (needs the ``gazetteer`` extra: pymorphy3, simplemma).
"""

from __future__ import annotations

import sys
import time

from benchmarks import options
from pipeline.stages.enrich.gazetteer import Gazetteer, fold, load_gazetteer

#: (language, inflected form, the country it names), written by hand.
FORMS: list[tuple[str, str, str]] = [
    ("ru", "Киргизии", "KG"), ("ru", "Москву", "RU"), ("ru", "России", "RU"), ("ru", "Казахстаном", "KZ"),
    ("ru", "Китаем", "CN"), ("ru", "Германии", "DE"), ("ru", "Францией", "FR"), ("ru", "Украине", "UA"),
    ("ru", "Польшу", "PL"), ("ru", "Пекине", "CN"), ("uk", "Польщі", "PL"), ("uk", "Росії", "RU"),
    ("uk", "Україною", "UA"), ("uk", "Німеччині", "DE"), ("uk", "Києві", "UA"), ("pl", "Rosji", "RU"),
    ("pl", "Niemczech", "DE"), ("pl", "Kazachstanie", "KZ"), ("pl", "Polsce", "PL"), ("pl", "Francji", "FR"),
    ("pl", "Chinach", "CN"), ("pl", "Ukrainie", "UA"), ("pl", "Warszawie", "PL"), ("fi", "Venäjällä", "RU"),
    ("fi", "Kiinan", "CN"), ("fi", "Ruotsissa", "SE"), ("fi", "Saksaan", "DE"), ("fi", "Suomesta", "FI"),
    ("fi", "Helsingissä", "FI"), ("fi", "Ranskalle", "FR"), ("de", "Russlands", "RU"), ("de", "Chinas", "CN"),
    ("de", "Frankreichs", "FR"), ("de", "Deutschlands", "DE"), ("el", "Ρωσίας", "RU"), ("el", "Κίνας", "CN"),
    ("el", "Γερμανίας", "DE"), ("el", "Γαλλίας", "FR"), ("el", "Ελλάδας", "GR"), ("tr", "Rusya'da", "RU"),
    ("tr", "Çin'e", "CN"), ("tr", "Türkiye'nin", "TR"), ("tr", "Almanya'ya", "DE"),
]  # fmt: skip


def _codes(gaz: Gazetteer, lang: str, word: str) -> set[str]:
    """Countries an exact surface names in a story of ``lang`` (Turkish suffixes after the apostrophe cut off, as
    the word boundary does)."""
    word = word.split("'")[0] if lang == "tr" else word
    entries = gaz.entries_by_surface.get(fold(word), ())
    return {e.code for e in entries if e.code and e.lang in (None, lang, "intl")}


def main(argv: list[str]) -> int:
    options.parse("benchmarks.bench_inflection", __doc__, argv)
    import pymorphy3
    import simplemma

    gaz = load_gazetteer()
    morph = pymorphy3.MorphAnalyzer(lang="ru")

    def lemma(lang: str, word: str) -> str:
        if lang == "ru":
            normal = str(morph.parse(word)[0].normal_form)
            return normal[:1].upper() + normal[1:]
        return str(simplemma.lemmatize(word.split("'")[0] if lang == "tr" else word, lang=lang))

    generated = [f for f in FORMS if f[2] in _codes(gaz, f[0], f[1])]
    lemmatised = [f for f in FORMS if f[2] in _codes(gaz, f[0], lemma(f[0], f[1]))]
    print(f"{len(FORMS)} forms: generated forms find {len(generated)}, a lemmatiser first {len(lemmatised)}")
    print("  generated forms miss:", [w for _, w, _ in sorted(set(FORMS) - set(generated))])
    print("  lemmatiser misses:", [w for _, w, _ in sorted(set(FORMS) - set(lemmatised))])
    words = "Президент Киргизии посетил Москву и встретился с президентом России . Стороны обсудили".split() * 50
    simplemma.lemmatize("Rosji", lang="pl")  # load the dictionary before timing
    t = time.process_time()
    for w in words:
        morph.parse(w)
    per_morph = (time.process_time() - t) / len(words) * 1e6
    polish = "Premier Polski rozmawiał o Rosji , Niemczech i Kazachstanie w Warszawie".split() * 50
    t = time.process_time()
    for w in polish:
        simplemma.lemmatize(w, lang="pl")
    per_simplemma = (time.process_time() - t) / len(polish) * 1e6
    print(
        f"CPU per word: pymorphy3 {per_morph:.1f} µs, simplemma {per_simplemma:.2f} µs; "
        f"for a 300-word story {300 * per_morph:,.0f} µs and {300 * per_simplemma:,.0f} µs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
