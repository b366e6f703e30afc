#!/usr/bin/env bash
# Spark's EventTimeWatermarkSuite ("append mode", "update mode") on a live
# stream: each input file is written only once the batches before it are
# out, as the suite's AddData waits for processAllAvailable, so the no-data
# batches Spark runs in between show up with their own batch ids.
#   10 s delay, 5 s windows; files {10..15}, {25}, then {10} (append) or
#   {10, 25} (update).
#   batch 0  {10..15}  watermark none  update: [10,15) = 5, [15,20) = 1
#   batch 1  no data   watermark 5 s   (moved after batch 0) nothing closes
#   batch 2  {25}      watermark 5 s   update: [25,30) = 1
#   batch 3  no data   watermark 15 s  append: [10,15) = 5 comes out, once;
#                                      both modes evict it
#   batch 4  {10...}   watermark 15 s  10 is late and dropped;
#                                      update: [25,30) = 2
#   then nothing: batch 4 saw no later time, so no batch 5.
# Usage: watermark_live_suite.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-wm-live.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"

batches() { grep -c '^Batch: ' out.txt || true; }
wait_for_batches() { # N: wait up to 20 s for N batches
  for _ in $(seq 1 400); do
    [ "$(batches)" -ge "$1" ] && return 0
    sleep 0.05
  done
  echo "FAIL ($mode): waited for $1 batches, have:" >&2; cat out.txt err.txt >&2; exit 1
}
add() { # NAME VALUE...: one file of events, written whole
  local name=$1; shift
  for v in "$@"; do printf '{"t":"1970-01-01T00:00:%02dZ"}\n' "$v"; done > "in/.$name.tmp"
  mv "in/.$name.tmp" "in/$name.json"
}
table() { # BATCH ROW...: one console batch; rows are "start end count" in seconds
  local b=$1; shift
  printf -- '-------------------------------------------\nBatch: %s\n-------------------------------------------\n' "$b"
  if [ $# = 0 ]; then
    printf '+------+-----+\n|window|count|\n+------+-----+\n+------+-----+\n\n'
    return
  fi
  local line='+------------------------------------------+-----+'
  printf '%s\n|window                                    |count|\n%s\n' "$line" "$line"
  for r in "$@"; do
    set -- $r
    printf '|{1970-01-01 00:00:%02d, 1970-01-01 00:00:%02d}|%-5s|\n' "$1" "$2" "$3"
  done
  printf '%s\n\n' "$line"
}

run_mode() { # MODE LAST_FILE_VALUES...
  mode=$1; shift
  rm -rf in out.txt err.txt && mkdir in
  cat > pipeline.conf <<CONF
name = "suite";
runtime = { trigger = "50 milliseconds"; shuffle_partitions = 1; };
stages = (
  { name = "events"; source = "file"; path = "in"; schema = "t TIMESTAMP"; max_files_per_trigger = 1;
    watermark = { column = "t"; delay = "10 seconds"; }; },
  { name = "counts"; input = "events"; window = { column = "t"; duration = "5 seconds"; };
    aggregate = ["count(*) AS count"]; },
  { name = "out"; input = "counts"; sink = "console"; output_mode = "$mode"; truncate = false; }
);
CONF
  "$sluice" run pipeline.conf -v -v >out.txt 2>err.txt &
  pid=$!
  add a 10 11 12 13 14 15
  wait_for_batches 2
  add b 25
  wait_for_batches 4
  add c "$@"
  wait_for_batches 5
  sleep 0.5 # time for a batch 5 that must not come
  kill -INT "$pid"
  local status=0
  wait "$pid" || status=$?
  pid=
  if [ "$status" != 0 ]; then echo "FAIL ($mode): exit status $status" >&2; cat err.txt >&2; exit 1; fi
  if ! grep -q "stage 'counts': batch 4: 2 groups in state, [0-9]* bytes, 1 rows dropped by watermark" err.txt; then
    echo "FAIL ($mode): batch 4 should hold 2 windows and drop 1 row:" >&2; cat err.txt >&2; exit 1
  fi
  grep -q "stage 'events': batch 3 (no data)" err.txt || { echo "FAIL ($mode): batch 3 is not a no-data batch" >&2; exit 1; }
}

run_mode append 10
{ table 0; table 1; table 2; table 3 "10 15 5"; table 4; } > want.txt
diff want.txt out.txt >&2 || { echo "FAIL (append): output differs (- expected, + actual)" >&2; exit 1; }

run_mode update 10 25
{ table 0 "10 15 5" "15 20 1"; table 1; table 2 "25 30 1"; table 3; table 4 "25 30 2"; } > want.txt
diff want.txt out.txt >&2 || { echo "FAIL (update): output differs (- expected, + actual)" >&2; exit 1; }

echo "ok watermark live suite: append and update as Spark's EventTimeWatermarkSuite, no-data batches included"
