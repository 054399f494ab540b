#!/usr/bin/env bash
# Debian packages for the operator tests (called by scripts/test.sh): headless Chromium + WebDriver for the
# operator page browser test, and
# promtool (package "prometheus") for the alert rule checks. Idempotent; needs root (or sudo).
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v promtool >/dev/null || need+=(prometheus)
[ "${#need[@]}" -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core
# the prometheus package starts a server when installed on a machine with systemd; the tests only need promtool
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
  $SUDO systemctl disable --now prometheus || true
fi
