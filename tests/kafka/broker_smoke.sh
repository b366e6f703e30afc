#!/usr/bin/env bash
# The tests' Kafka broker works with a real client: kcat sees the topic's
# partitions, and what it produces comes back when it consumes.
set -euo pipefail
broker=$1
command -v kcat >/dev/null || { echo "kcat not installed (make deps installs it)"; exit 1; }
dir=$(mktemp -d)
trap 'exec 3>&-; wait 2>/dev/null; rm -rf "$dir"' EXIT
coproc MOCK { "$broker" --topic smoke:3; }
exec 3>&"${MOCK[1]}"
read -r bootstrap <&"${MOCK[0]}"
kcat -b "$bootstrap" -L -t smoke | grep -q 'topic "smoke" with 3 partitions' || { echo "no topic smoke with 3 partitions"; exit 1; }
seq 1 100 | kcat -P -b "$bootstrap" -t smoke
got=$(kcat -C -b "$bootstrap" -t smoke -e -q | sort -n | tr '\n' ' ')
want=$(seq 1 100 | tr '\n' ' ')
[ "$got" = "$want" ] || { echo "consumed: $got"; exit 1; }
echo quit >&3
echo "mock broker at $bootstrap: 100 messages through 3 partitions"
