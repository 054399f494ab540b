#!/usr/bin/env bash
# Static checks (run by scripts/test.sh before pytest, and by pre-commit): lint, types, import layers, schemas.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${VIRTUAL_ENV:-}" ] && [ -x .venv/bin/python ]; then
  source .venv/bin/activate
fi
ruff check .
mypy
lint-imports --no-cache
python -m schemas.export --check
