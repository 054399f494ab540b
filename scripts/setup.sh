#!/usr/bin/env bash
# Create .venv with Python 3.11 and install wirefeed with its test and gazetteer extras from requirements.lock.
# Idempotent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PY="$cand"; break
    fi
  done
fi
if [ -z "$PY" ]; then
  echo "setup.sh: Python 3.11 is required (set PYTHON=/path/to/python3.11)." >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# What the installation was made from: when none of it changed, there is nothing to do (a second run is instant).
STAMP=.venv/.wirefeed-installed
inputs="$(cat requirements.lock pyproject.toml setup.py pipeline/stages/enrich/tagger.py | sha256sum | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$inputs" ] && [ -z "${WIREFEED_REINSTALL:-}" ]; then
  echo "wirefeed already installed in $(pwd)/.venv from requirements.lock (WIREFEED_REINSTALL=1 reinstalls)"
  exit 0
fi
rm -f "$STAMP"
# The installer: uv when the lock has it (itself installed first by pip, from its entry in the lock, hash-checked)
# or when it is on the PATH; else pip. uv installs the same files with the same hash checks, from its cache and in
# parallel: a clean install takes seconds where pip takes minutes.
UV=""
if command -v uv >/dev/null 2>&1 && uv pip --help >/dev/null 2>&1; then
  UV="$(command -v uv)"
elif grep -q '^uv==' requirements.lock; then
  entry="$(mktemp)"
  trap 'rm -f "$entry"' EXIT
  awk '/^uv==/ { on = 1 } on { print } on && !/\\$/ { exit }' requirements.lock >"$entry"
  .venv/bin/python -m pip install -q --require-hashes --no-deps -r "$entry"
  UV=.venv/bin/uv
fi
# Exactly the versions of requirements.lock, each checked against its hash (scripts/lock.sh regenerates the lock
# from pyproject.toml), then wirefeed itself without touching them.
if [ -n "$UV" ]; then
  "$UV" pip install -q --python .venv/bin/python --require-hashes --compile-bytecode -r requirements.lock
  "$UV" pip install -q --python .venv/bin/python --no-deps -e .
else
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q --require-hashes -r requirements.lock
  .venv/bin/python -m pip install -q --no-deps -e .
fi
echo "$inputs" >"$STAMP"
echo "wirefeed installed in $(pwd)/.venv (activate: source .venv/bin/activate)"
