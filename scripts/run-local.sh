#!/usr/bin/env bash
# The main job on the embedded default: install, start `wirefeed run` (embedded broker, one worker, HTTP server),
# wait until the pipeline is ready, publish the seed story, show it in the store, then keep the pipeline running.
# Long-running: it returns only when stopped. Ctrl-C (SIGINT) or SIGTERM stops every process it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source .venv/bin/activate
export WIREFEED_DATA_DIR="${WIREFEED_DATA_DIR:-$PWD/var}"
mkdir -p "$WIREFEED_DATA_DIR"
SEED="${1:-../shared/fixtures/seed-story-tca.txt}"
RUN_OUT="$WIREFEED_DATA_DIR/run.out"
wirefeed run > "$RUN_OUT" 2>&1 &
RUN_PID=$!
# `wirefeed run` stops its workers, server and broker on SIGTERM (a background job ignores SIGINT).
stop() {
  trap - EXIT INT TERM
  kill -TERM "$RUN_PID" 2>/dev/null || true
  wait "$RUN_PID" 2>/dev/null || true
  exit "${1:-0}"
}
trap 'stop 0' EXIT
trap 'stop 130' INT
trap 'stop 143' TERM
for _ in $(seq 1 600); do
  grep -q '^pipeline ready' "$RUN_OUT" && break
  kill -0 "$RUN_PID" 2>/dev/null || { cat "$RUN_OUT"; stop 1; }
  sleep 0.1
done
cat "$RUN_OUT"
grep -q '^pipeline ready' "$RUN_OUT" || { echo "the pipeline is not ready after 60 s; see $WIREFEED_DATA_DIR/worker-0.log"; stop 1; }
BROKER=$(sed -n 's/^ *broker *\([0-9.:]*\).*/\1/p' "$RUN_OUT" | head -n 1)
export WIREFEED_BROKER="$BROKER"
if [ -f "$SEED" ]; then
  wirefeed publish --agency TCA "$SEED"
  for _ in $(seq 1 300); do
    if [ -n "$(wirefeed stories --country KG --json 2>/dev/null)" ]; then break; fi
    sleep 0.2
  done
  wirefeed stories --country KG
fi
echo "pipeline running; broker $BROKER (export WIREFEED_BROKER=$BROKER for the manual walk); Ctrl-C stops it"
wait "$RUN_PID"
