"""Write (or check) the JSON Schema export of every contract: ``python -m schemas.export [--check]``."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

from schemas import CONTRACTS

EXPORT_DIR = Path(__file__).parent / "json"


def render(name: str) -> bytes:
    schema = CONTRACTS[name].model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://wirefeed.dev/schemas/{name}.json"
    return orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def stale() -> list[str]:
    """Names whose export file is missing or differs from the model."""
    return [n for n in CONTRACTS if not (p := EXPORT_DIR / f"{n}.json").exists() or p.read_bytes() != render(n)]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        names = stale()
        for n in names:
            print(f"stale: schemas/json/{n}.json (run: python -m schemas.export)", file=sys.stderr)
        return 1 if names else 0
    EXPORT_DIR.mkdir(exist_ok=True)
    for name in CONTRACTS:
        (EXPORT_DIR / f"{name}.json").write_bytes(render(name))
        print(f"wrote schemas/json/{name}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
