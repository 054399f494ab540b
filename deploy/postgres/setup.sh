#!/usr/bin/env bash
# Install the PostgreSQL server from Debian packages if it is not installed yet (idempotent).
# Prints the server's bin directory (initdb, pg_ctl, ...) on the last line.
set -euo pipefail

find_bindir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | while read -r d; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; fi
    done | tail -n 1
}

bindir="$(find_bindir)"
if [ -z "$bindir" ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends postgresql postgresql-contrib
    bindir="$(find_bindir)"
fi
if [ -z "$bindir" ]; then
    echo "PostgreSQL server binaries not found after install" >&2
    exit 1
fi
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    # The server refuses to run as root; throwaway clusters run as this user.
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi
echo "$bindir"
