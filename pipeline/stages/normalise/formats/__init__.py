"""Format parsers, one per file, registered by source format.

A parser is ``(text, ctx) -> list[Draft]``: it reads decoded text and returns one draft per story
it holds (raising ``StageError`` for what it cannot read). The shared finishing steps (cleaning,
dateline/byline handling, identity, hashing) live in ``pipeline.stages.normalise.finish``.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.stages.normalise.draft import Draft, ParseContext
from schemas.story import SourceFormat

Parser = Callable[[str, ParseContext], list[Draft]]

PARSERS: dict[SourceFormat, Parser] = {}


def register(fmt: SourceFormat) -> Callable[[Parser], Parser]:
    def deco(fn: Parser) -> Parser:
        PARSERS[fmt] = fn
        return fn

    return deco


def parser_for(fmt: SourceFormat) -> Parser:
    _load()
    return PARSERS[fmt]


def _load() -> None:
    if PARSERS:
        return
    import importlib

    # Importing a module registers its parser.
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")


_MODULES = ("text", "ninjs", "nitf", "newsml_g2", "newsml12", "html", "iptc7901", "anpa1312")
