#!/usr/bin/env bash
# The comments of the example pipelines in configs/ and the README stay
# true (issue 11): each configs/NAME.conf they name exists, and none
# announces as future what sluice already does (grouping and the memory
# sink were said to "come later" long after they came).
# Usage: configs_comments_current.sh SLUICE
set -euo pipefail
src=$(cd "$(dirname "$0")/../../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }

for name in $(grep -ohE 'configs/lab[a-z0-9_]+\.conf' "$src"/configs/*.conf "$src/README.md" | sort -u); do
  [ -f "$src/$name" ] || fail "$name is named in a comment or the README but does not exist"
done
if grep -niE 'comes? with (the )?(aggregat|memory|grouping)|grouping comes|for now|until the [a-z ]+ comes' \
     "$src"/configs/*.conf "$src/README.md"; then
  fail "a comment says something sluice does is still to come"
fi
echo "ok configs: every config named exists, no stale promises"
