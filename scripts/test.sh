#!/usr/bin/env bash
# The test suite, in tiers:
#
#   bash scripts/test.sh unit          static checks + tests/unit but those marked slow: no services, no Kafka
#                                      jars/PostgreSQL/Chromium
#   bash scripts/test.sh integration   static checks + tests/integration (Apache Kafka from jars, PostgreSQL, ...)
#   bash scripts/test.sh faults        static checks + tests/faults (fault scenarios against real Kafka)
#   bash scripts/test.sh               everything (what CI runs)
#
# Further arguments go to pytest (bash scripts/test.sh unit -k dedupe; bash scripts/test.sh tests/unit/dedupe).
# Static checks first (scripts/check.sh): ruff, mypy, import contracts, the exported JSON Schemas.
#
# Nothing can hang the run: each test has a timeout (pyproject.toml; stacks printed before it expires), the session
# fails if a non-daemon thread or a child process outlives the tests (tests/support/bounds.py), and a watchdog here
# stops pytest when it prints nothing for longer than any test may take (WIREFEED_TEST_IDLE_S, default 900 s: the
# fault scenarios' 600 s timeout and a margin) or runs past the tier's budget (WIREFEED_TEST_BUDGET_S, defaults
# below): the stack of every Python process of the run is printed (py-spy), the processes are killed, the run fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tier=all
case "${1:-}" in
  unit|integration|faults|all) tier="$1"; shift ;;
esac
case "$tier" in
  unit)        paths=(tests/unit -m "not slow"); budget=600 ;;
  integration) paths=(tests/integration); budget=5400 ;;
  faults)      paths=(tests/faults);      budget=5400 ;;
  all)         paths=();                  budget=7200 ;;
esac
budget="${WIREFEED_TEST_BUDGET_S:-$budget}"
idle_default=900
if [ -n "${WIREFEED_FAULTS_FULL:-}" ] && [ "${WIREFEED_FAULTS_FULL}" != 0 ]; then
  idle_default=2700  # a full-size fault scenario may take 2400 s
fi
idle="${WIREFEED_TEST_IDLE_S:-$idle_default}"
# Explicit test paths among the arguments replace the tier's.
for arg in "$@"; do
  case "$arg" in tests|tests/*) paths=(); break ;; esac
done

bash scripts/setup.sh
source .venv/bin/activate
if [ "$tier" != unit ]; then
  bash deploy/kafka/fetch.sh >/dev/null
  bash deploy/postgres/setup.sh >/dev/null
  bash deploy/chromium/setup.sh >/dev/null
  bash deploy/kcat/setup.sh >/dev/null
fi
bash scripts/check.sh

descendants() {  # every process below $1, children before grandchildren
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END {
      queue[0] = root; n = 1
      for (i = 0; i < n; i++) for (p in parent) if (parent[p] == queue[i] && p != root) { queue[n++] = p; print p }
    }'
}

watchdog() {  # $1: pytest pid; $2: pytest's output file; $3: file to write the reason of a stop in
  local pid="$1" out="$2" mark="$3" start="$SECONDS" last_size=-1 last_change="$SECONDS" size why=""
  while kill -0 "$pid" 2>/dev/null; do
    size="$(stat -c %s "$out" 2>/dev/null || echo 0)"
    if [ "$size" != "$last_size" ]; then
      last_size="$size"
      last_change="$SECONDS"
    fi
    if (( SECONDS - last_change >= idle )); then
      why="pytest printed nothing for ${idle}s (WIREFEED_TEST_IDLE_S)"
    elif (( SECONDS - start >= budget )); then
      why="the run took more than ${budget}s (WIREFEED_TEST_BUDGET_S)"
    fi
    if [ -n "$why" ]; then
      echo "$why" >"$mark"
      echo >&2
      echo "test.sh: $why: it is hung." >&2
      echo "test.sh: stacks of every Python process of the run (py-spy), then the run is stopped and fails:" >&2
      local procs=("$pid" $(descendants "$pid"))
      for p in "${procs[@]}"; do
        if [[ "$(readlink "/proc/$p/exe" 2>/dev/null)" == *python* ]]; then
          echo "----- process $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
          # --nonblocking reads a process py-spy cannot suspend (one already stopped, or being traced).
          py-spy dump --pid "$p" >&2 2>&1 || py-spy dump --nonblocking --pid "$p" >&2 2>&1 \
            || echo "(py-spy could not read process $p)" >&2
        fi
      done
      kill -TERM "${procs[@]}" 2>/dev/null || true
      sleep 10
      kill -KILL "${procs[@]}" 2>/dev/null || true
      return
    fi
    sleep 2
  done
}

mark="$(mktemp)"
out="$(mktemp)"
fifo="$(mktemp -u)"
mkfifo "$fifo"
trap 'rm -f "$mark" "$out" "$fifo"' EXIT
ci_args=()
if [ -n "${CI:-}" ]; then
  ci_args=(--durations=25)
fi
# Unbuffered, through tee (started here, so that it is not a child of pytest): the watchdog sees every line pytest
# prints as it prints it.
tee "$out" <"$fifo" &
tee_pid=$!
python -u -m pytest -q -p no:cacheprovider "${ci_args[@]}" "${paths[@]}" "$@" >"$fifo" 2>&1 &
pytest_pid=$!
# Without job control a background job ignores SIGINT: pass Ctrl-C and termination on to pytest and its processes.
trap 'kill -INT "$pytest_pid" 2>/dev/null || true' INT
trap 'kill -TERM "$pytest_pid" $(descendants "$pytest_pid") 2>/dev/null || true' TERM
watchdog "$pytest_pid" "$out" "$mark" &
watchdog_pid=$!
status=0
wait "$pytest_pid" || status=$?
kill "$watchdog_pid" 2>/dev/null || true
wait "$watchdog_pid" 2>/dev/null || true
wait "$tee_pid" 2>/dev/null || true
if [ -s "$mark" ]; then
  echo "test.sh: FAILED: the run was stopped: $(cat "$mark") (stacks above)." >&2
  exit 1
fi
exit "$status"
