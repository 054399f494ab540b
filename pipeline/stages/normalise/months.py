"""Month names and abbreviations in the languages agencies write, from CLDR (through ``babel``).

Used to read printed datelines (``Strasbourg, 10 juil 2024 (AFP)``, ``CIUDAD DE MÉXICO, 3 dic (EFE).-``)
and wire trailers (``071341 GMT Okt 15``). Built once at import from babel's bundled CLDR data.
"""

from __future__ import annotations

from babel.dates import get_month_names

#: Languages whose month names are recognised (CLDR locale ids; ``nb`` is Norwegian Bokmål).
LOCALES = (
    "en",
    "fr",
    "es",
    "de",
    "pt",
    "it",
    "ru",
    "ar",
    "zh",
    "ja",
    "sv",
    "nb",
    "fi",
    "da",
    "nl",
    "pl",
    "uk",
    "tr",
    "el",
)


def _month_numbers() -> dict[str, int]:
    numbers: dict[str, int] = {}
    for locale in LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale).items():
                    numbers.setdefault(name.rstrip(".").casefold(), number)
    # Common English wire abbreviations that CLDR does not list.
    numbers.update({"sept": 9, "febr": 2})
    return numbers


#: Casefolded month name or abbreviation (without a final period) → month number 1..12.
MONTH_NUMBERS: dict[str, int] = _month_numbers()


def month_number(name: str) -> int | None:
    """The month number of ``name`` (any listed language, any case, with or without a final period)."""
    return MONTH_NUMBERS.get(name.rstrip(".").casefold())
