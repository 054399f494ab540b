#!/usr/bin/env bash
# Fetch a runnable Apache Kafka (KRaft broker + admin tools) classpath from Maven Central.
#
#   deploy/kafka/fetch.sh [VERSION]
#
# Jars land in "$WIREFEED_KAFKA_LIBS/<VERSION>/" (default root: deploy/kafka/lib). The script is idempotent:
# a complete folder (marked by .complete) is left alone. Several processes may call it at once: a lock file
# serialises them and the folder appears atomically. Prints the folder on stdout.
# Needs: JDK 17+ (java) and Maven (mvn) on PATH, Maven Central reachable.
set -euo pipefail

DEFAULT_VERSION="4.4.0"
VERSION="${1:-${WIREFEED_KAFKA_VERSION:-$DEFAULT_VERSION}}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${WIREFEED_KAFKA_LIBS:-$HERE/lib}"
DEST="$ROOT/$VERSION"

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fetch.sh: '$tool' not found. Install a JDK 17+ and Maven, e.g. 'apt-get install -y openjdk-17-jdk-headless maven'." >&2
    exit 2
  fi
done

if [[ -f "$DEST/.complete" ]]; then
  echo "$DEST"
  exit 0
fi

mkdir -p "$ROOT"
exec 9>"$ROOT/.fetch-$VERSION.lock"
flock 9
if [[ -f "$DEST/.complete" ]]; then   # another process finished while we waited
  echo "$DEST"
  exit 0
fi

TMP="$(mktemp -d "$ROOT/.tmp-$VERSION.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
echo "fetch.sh: resolving org.apache.kafka:kafka_2.13:$VERSION and kafka-tools into $DEST" >&2
# (Maven 3.8 prints colour reset codes even in batch mode: strip them.)
mvn -q -B -Dstyle.color=never -f "$HERE/pom.xml" -Dkafka.version="$VERSION" -Dlibs.dir="$TMP" \
  dependency:copy-dependencies 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2

# Sanity: the broker, the storage tool and one kafka-clients of the right version.
ls "$TMP"/kafka_2.13-"$VERSION".jar "$TMP"/kafka-clients-"$VERSION".jar "$TMP"/kafka-tools-"$VERSION".jar >/dev/null
if ls "$TMP"/kafka-clients-*.jar | grep -v -- "-$VERSION.jar" >/dev/null; then
  echo "fetch.sh: mixed kafka-clients versions in $TMP" >&2
  exit 1
fi
touch "$TMP/.complete"
rm -rf "$DEST"
mv "$TMP" "$DEST"
trap - EXIT
echo "$DEST"
