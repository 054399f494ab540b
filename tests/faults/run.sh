#!/usr/bin/env bash
# The fault suite in one command; prints the results table at the end.
#   tests/faults/run.sh                      CI sizes
#   WIREFEED_FAULTS_FULL=1 tests/faults/run.sh   the issue's sizes (20k stories, 10 kills, 10k poison messages)
# Rows are also appended as JSON lines to $WIREFEED_FAULTS_RESULTS when it is set.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source .venv/bin/activate
exec python -m pytest tests/faults -p no:cacheprovider -q "$@"
