#!/usr/bin/env bash
# A small batch still keeps every worker busy: the file source cuts a
# batch's files at Spark's maxSplitBytes, min(max_partition_bytes,
# max(1 MiB, batch bytes / runtime.threads)). One 3.6 MB file is 2 units
# with 2 threads, 4 with 4, 1 with 1; with max_partition_bytes smaller
# than the share it is cut at that; the rows are the same every time.
# Usage: file_split_by_parallelism.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-split.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
"$sluice" gen tweets in --files 1 --rows 6000 >/dev/null
size=$(stat -c %s in/*.json)
[ "$size" -gt 3000000 ] && [ "$size" -lt 4194304 ] || fail "the fixture is $size bytes"
cat >p.conf <<'CONF'
runtime = { trigger = "available_now"; };
stages = (
  { name = "tweets"; source = "file"; path = "in"; schema = "data STRUCT<lang: STRING>"; },
  { name = "n"; input = "tweets"; aggregate = ["count(*) AS rows", "count(data.lang) AS langs"]; },
  { name = "out"; input = "n"; sink = "console"; output_mode = "complete"; format = "jsonl"; }
);
CONF
units() { # threads, then extra --set options: the batch's unit count
  local t=$1
  shift
  SLUICE_LOG=debug "$sluice" run p.conf --set runtime.threads="$t" "$@" >out.txt 2>err.txt || fail "run threads=$t $*"
  grep -q '"row":{"rows":6000,"langs":6000}' out.txt || fail "threads=$t $*: rows $(cat out.txt)"
  sed -n "s/.*stage 'tweets': batch 0: \([0-9]*\) units.*/\1/p" err.txt
}
[ "$(units 1)" = 1 ] || fail "1 thread: $(units 1) units"
[ "$(units 2)" = 2 ] || fail "2 threads: $(units 2) units"
[ "$(units 4)" = 4 ] || fail "4 threads: $(units 4) units"
# 1 MiB is the least worth a unit: 3.6 MB over 8 threads is 4 units, not 8.
[ "$(units 8)" = 4 ] || fail "8 threads: $(units 8) units"
[ "$(units 2 --set tweets.max_partition_bytes=1000000)" = 4 ] || fail "a smaller max_partition_bytes"
echo "ok the batch is cut for the workers: 1, 2, 4, 4 units; same rows"
