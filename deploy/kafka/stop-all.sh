#!/usr/bin/env bash
# Stop every Kafka JVM started by tests.support.apache_kafka from this repository (marked on its command line
# with -Dwirefeed.repo=<repo>), e.g. after a test runner was killed with SIGKILL. Brokers of other checkouts
# or other users are left alone.
#
#   deploy/kafka/stop-all.sh [--dry-run]
#
# SIGTERM first (clean shutdown), SIGKILL what is still running after 20 s.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MARK="-Dwirefeed.repo=$REPO"
DRY=0
[[ "${1:-}" == "--dry-run" ]] && DRY=1

pids=()
for cmdline in /proc/[0-9]*/cmdline; do
  pid="${cmdline#/proc/}"; pid="${pid%/cmdline}"
  [[ "$pid" == "$$" ]] && continue
  if { tr "\\0" "\\n" < "$cmdline"; } 2>/dev/null | grep -Fxq -- "$MARK"; then
    pids+=("$pid")
  fi
done

if [[ ${#pids[@]} -eq 0 ]]; then
  echo "no Kafka JVM from $REPO is running"
  exit 0
fi
for pid in "${pids[@]}"; do
  workdir="$({ tr "\\0" "\\n" < "/proc/$pid/cmdline"; } 2>/dev/null | sed -n 's/^-Dwirefeed.kafka.workdir=//p')"
  echo "pid $pid  workdir ${workdir:-?}"
done
[[ $DRY -eq 1 ]] && exit 0

kill -TERM "${pids[@]}" 2>/dev/null || true
for _ in $(seq 1 100); do
  alive=()
  for pid in "${pids[@]}"; do
    [[ -d "/proc/$pid" ]] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && alive+=("$pid")
  done
  [[ ${#alive[@]} -eq 0 ]] && { echo "stopped ${#pids[@]} JVM(s)"; exit 0; }
  sleep 0.2
done
echo "SIGKILL ${alive[*]}"
kill -KILL "${alive[@]}" 2>/dev/null || true
