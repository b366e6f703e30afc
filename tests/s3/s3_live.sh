#!/usr/bin/env bash
# A stream from a bucket (s3rver on loopback): objects uploaded while the
# query runs are picked up by the next listings; the query is killed with
# SIGKILL mid-stream and at points inside a batch (SLUICE_TEST_CRASH_AT),
# objects land meanwhile, and each restart goes on from the checkpoint:
# the file sink commits every row exactly once.
# Usage: s3_live.sh SLUICE
source "$(dirname "$0")/lib.sh" "$1"
start_s3rver live-bucket
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
# Object k holds ids 100k+1 .. 100k+100.
object() { python3 -c "import sys; k=int(sys.argv[1]); print('\n'.join('{\"id\":%d}' % i for i in range(100*k+1, 100*k+101)))" "$1" >"obj$1.json"; put "obj$1.json" "live-bucket/in/obj$(printf %02d "$1").json"; }
cat >live.conf <<CONF
runtime = { trigger = "0 seconds"; checkpoint = "ck"; };
stages = (
  { name = "in"; source = "s3"; path = "s3://live-bucket/in/"; endpoint = "$S3RVER"; schema = "id LONG";
    poll_interval = "50 milliseconds"; max_files_per_trigger = 1; },
  { name = "out"; input = "in"; sink = "file"; path = "sunk"; }
);
CONF
sunk_rows() { "$SLUICE" cat sunk 2>/dev/null | wc -l; }
wait_rows() { # N: until the sink has committed N rows
  for _ in $(seq 1 200); do [ "$(sunk_rows)" -ge "$1" ] && return 0; sleep 0.05; done
  fail "the sink has $(sunk_rows) rows, expected $1"
}

object 0
"$SLUICE" run live.conf -q 2>err.txt &
pid=$!
PIDS+=("$pid")
wait_rows 100
object 1
object 2
wait_rows 300
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
object 3
object 4

# Killed inside batches: after planning one, while the sink holds another.
crash_run() {
  local status
  status=$( { SLUICE_TEST_CRASH_AT=$1 "$SLUICE" run live.conf --set runtime.trigger=available_now -q 2>err.txt; echo $?; } 2>/dev/null )
  [ "$status" = 137 ] || fail "SLUICE_TEST_CRASH_AT=$1: exit status $status, expected 137"
}
crash_run plan:3
object 5
crash_run sink:4
"$SLUICE" run live.conf --set runtime.trigger=available_now -q 2>err.txt || fail "the last restart"
"$SLUICE" cat sunk | python3 -c '
import json, sys
ids = [json.loads(line)["id"] for line in sys.stdin]
dup = sorted({i for i in ids if ids.count(i) > 1})
assert not dup, "rows committed twice: %s" % dup[:10]
missing = sorted(set(range(1, 601)) - set(ids))
assert not missing, "rows lost: %s" % missing[:10]
assert len(ids) == 600, len(ids)
' || fail "not exactly once"
echo "s3: objects uploaded while running are read; after kill -9 and crashes inside batches, every row committed once"
