#!/usr/bin/env bash
# The full test suite on a fresh machine: Python packages, Apache Kafka jars, PostgreSQL, Chromium; then pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source .venv/bin/activate
bash deploy/kafka/fetch.sh >/dev/null
bash deploy/postgres/setup.sh >/dev/null
bash deploy/chromium/setup.sh >/dev/null
bash deploy/kcat/setup.sh >/dev/null
ruff check .
python -m schemas.export --check
python -m pytest -q -p no:cacheprovider "$@"
