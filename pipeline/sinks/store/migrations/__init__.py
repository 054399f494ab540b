"""Versioned SQL migrations, one folder per backend: ``NNNN_name.sql``, applied in order, once each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Literal

_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(backend: Literal["sqlite", "postgres"]) -> list[Migration]:
    """Every migration of a backend, in version order."""
    found: list[Migration] = []
    for entry in resources.files(__package__).joinpath(backend).iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda mig: mig.version)
    versions = [mig.version for mig in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration version in {backend}: {versions}")
    return found
