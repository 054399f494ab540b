#!/usr/bin/env bash
# The main job on the embedded default: install, start `wirefeed run` (embedded broker), publish the seed story,
# show it in the store, and keep the pipeline running until Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source .venv/bin/activate
export WIREFEED_DATA_DIR="${WIREFEED_DATA_DIR:-$PWD/var}"
mkdir -p "$WIREFEED_DATA_DIR"
SEED="${1:-../shared/fixtures/seed-story-tca.txt}"
wirefeed run > "$WIREFEED_DATA_DIR/run.out" 2>&1 &
RUN_PID=$!
trap 'kill -INT $RUN_PID 2>/dev/null; wait $RUN_PID 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 120); do
  BROKER=$(sed -n 's/^ *broker *\([0-9.:]*\).*/\1/p' "$WIREFEED_DATA_DIR/run.out" | head -n 1)
  [ -n "$BROKER" ] && break
  kill -0 $RUN_PID 2>/dev/null || { cat "$WIREFEED_DATA_DIR/run.out"; exit 1; }
  sleep 0.5
done
cat "$WIREFEED_DATA_DIR/run.out"
export WIREFEED_BROKER="$BROKER"
if [ -f "$SEED" ]; then
  wirefeed publish --agency TCA "$SEED"
  echo "waiting for the story to reach the store..."
  for _ in $(seq 1 120); do
    if [ -n "$(wirefeed stories --country KG --json 2>/dev/null)" ]; then break; fi
    sleep 1
  done
  wirefeed stories --country KG
fi
echo "pipeline running on $BROKER; Ctrl-C to stop"
wait $RUN_PID
