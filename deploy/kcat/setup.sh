#!/usr/bin/env bash
# Install kcat (Debian package `kcat`), the command-line Kafka producer/consumer used to read notification
# topics and to push test submissions. Idempotent: does nothing when kcat is already on PATH; refreshes the
# package lists only when apt does not know the package yet.
set -euo pipefail

if command -v kcat >/dev/null 2>&1; then
    echo "kcat: $(command -v kcat) already installed"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

if ! apt-cache show kcat >/dev/null 2>&1; then
    $SUDO apt-get update -qq
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends kcat
echo "kcat: $(command -v kcat) installed"
