"""The command line of the benchmarks that take only on/off flags: ``--help`` says what a module measures and which
flags it takes, and an unknown option is refused instead of starting a long run."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def parse(module: str, doc: str | None, argv: Sequence[str], *flags: tuple[str, str]) -> argparse.Namespace:
    """Parse ``argv`` for ``python -m <module>`` (described by the first line of ``doc``): each of ``flags`` is a
    ``(--name, help)`` switch; the result has one boolean attribute per flag (``--quick`` → ``quick``)."""
    first = (doc or "").strip().splitlines()
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=first[0] if first else None)
    for flag, text in flags:
        parser.add_argument(flag, action="store_true", help=text)
    return parser.parse_args(list(argv))
