#!/usr/bin/env bash
# SLUICE_EAGAIN means "call me again" (issue 13): a source's and a sink's
# callbacks that fail for a while are retried with a backoff, each retry
# logged and counted in the progress record, and the output is what it
# would have been without them (a unit read again drops what its failed
# try emitted). Past runtime.retry_limit the run fails with the plugin's
# message and says so; a sink that releases the batch it asks to be
# written again is named.
# Usage: eagain_retries.sh SLUICE
set -euo pipefail
sluice=$1
fixtures=$(cd "$(dirname "$sluice")" && pwd)/test-plugins-flaky
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-eagain.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }

pipeline() { # SOURCE_FAIL SINK_FAIL [EXTRA_SINK_SETTINGS]
  cat > pipeline.conf <<CONF
runtime = { trigger = "once"; plugin_path = ["$fixtures"]; retry_backoff = "1ms"; progress_log = "progress.jsonl"; };
stages = (
  { name = "src"; source = "flaky"; rows = 3; fail = "$1"; },
  { name = "out"; input = "src"; sink = "flaky"; path = "out.txt"; fail = "$2"; ${3:-} }
);
CONF
  rm -f out.txt progress.jsonl
}

# Every retried callback fails twice, then succeeds: 5 retries allowed.
pipeline "latest_offset:2,plan_read:2,read:2,commit:2" "begin:2,write:2,end:2"
"$sluice" run pipeline.conf 2>err.txt || fail "the run failed despite retries left"
[ "$(cat out.txt)" = "batch 0: 0 1 2" ] || fail "output: $(cat out.txt) (the failed reads' rows must be dropped)"
for cb in latest_offset plan_read read commit begin write end; do
  [ "$(grep -c "$cb failed, may pass: $cb is busy; retry" err.txt)" = 2 ] || fail "$cb's two retries were not logged"
done
grep -q "retry 2 of 5 in 0.002 s" err.txt || fail "the second wait did not double"
python3 - <<'PY' || fail "progress record"
import json
r = json.loads(open("progress.jsonl").readline())
assert r["sources"][0]["numRetries"] == 8, r["sources"][0]
assert r["sink"]["numRetries"] == 6, r["sink"]
PY

# Still failing once the retries are used up: the plugin's message, and why it stopped.
pipeline "" "write:3" ""
sed -i 's/retry_backoff = "1ms";/retry_backoff = "1ms"; retry_limit = 2;/' pipeline.conf
status=0; "$sluice" run pipeline.conf 2>err.txt || status=$?
[ "$status" = 1 ] || fail "exit status $status, expected 1"
grep -q "stage 'out': write is busy" err.txt || fail "the plugin's message is missing"
grep -q "hint: still failing after 2 retries of write (runtime.retry_limit)" err.txt || fail "the hint is missing"
[ ! -s out.txt ] || fail "a batch that failed was written"

# A sink releasing the batch it wants written again cannot be retried.
pipeline "" "write:1" "release_on_retry = true;"
status=0; "$sluice" run pipeline.conf 2>err.txt || status=$?
[ "$status" = 1 ] || fail "release_on_retry: exit status $status, expected 1"
grep -q "sink plugin 'flaky' asked for write to be retried (SLUICE_EAGAIN) but released the batch" err.txt ||
  fail "the released batch is not named"
# Units read on worker threads, several failing: each read again alone, in order.
pipeline "read:3" ""
sed -i 's/rows = 3;/rows = 2; units = 4;/; s/trigger = "once";/trigger = "once"; threads = 4;/' pipeline.conf
"$sluice" run pipeline.conf 2>err.txt || fail "the run on 4 threads failed"
[ "$(cat out.txt)" = "batch 0: 0 1 2 3 4 5 6 7" ] || fail "4 units, 3 failed reads: $(cat out.txt)"
[ "$(grep -c "read failed, may pass" err.txt)" = 3 ] || fail "3 retried reads expected"
echo "ok eagain_retries"
