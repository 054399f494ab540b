#!/usr/bin/env bash
# Static checks (run by scripts/test.sh before pytest; pre-commit runs the same tools): lint, types, import
# layers, exported schemas. Each prints one line when it passes and everything it has to say when it fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${VIRTUAL_ENV:-}" ] && [ -x .venv/bin/python ]; then
  source .venv/bin/activate
fi
check() {  # $1: label; the rest: the command
  local label="$1" out
  shift
  if ! out="$("$@" 2>&1)"; then
    echo "$out"
    echo "check.sh: $label failed: $*" >&2
    exit 1
  fi
  out="$(tail -n 1 <<<"$out")"
  echo "$label: ${out:-ok}"
}
check ruff ruff check .
check mypy mypy
check "import contracts" lint-imports --no-cache
check "JSON Schemas" python -m schemas.export --check
