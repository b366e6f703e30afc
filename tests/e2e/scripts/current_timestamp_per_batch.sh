#!/usr/bin/env bash
# current_timestamp() / now(), as Spark: one value per micro-batch (every
# row of a batch, on every thread, the same whole millisecond), later for
# later batches; and a batch replayed after a crash gets the time it was
# planned with (Spark's batchTimestampMs in the offset log), so its rows
# are written as they would have been.
# Usage: current_timestamp_per_batch.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-now.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }

mkdir in
for k in 0 1 2 3; do
  for r in $(seq 1 200); do echo "{\"n\":$((k * 1000 + r))}"; done >"in/f$k.json"
done
cat >p.conf <<'CONF'
name = "now";
runtime = { trigger = "available_now"; checkpoint = "ckpt"; threads = 2; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "n LONG"; max_files_per_trigger = 2;
    max_partition_bytes = 512; },
  { name = "t"; input = "rows"; transform = "select";
    columns = ["n", "current_timestamp() AS at", "now() = current_timestamp() AS same"]; },
  { name = "out"; input = "t"; sink = "file"; path = "out"; }
);
CONF
# Batch 1 is read, then the process dies before the sink commits it: the
# restart runs it again.
status=0
{ (SLUICE_TEST_CRASH_AT=batch:1 exec "$sluice" run p.conf 2>err.txt); } 2>/dev/null || status=$?
[ "$status" = 137 ] || fail "the crash: exit $status"
# The offsets entry: a header line, then JSON with the batch's time.
planned=$(python3 -c 'import json; print(json.loads(open("ckpt/offsets/1").read().split("\n", 1)[1])["timestamp"])')
sleep 1.1
"$sluice" run p.conf 2>err.txt || fail "the restart"
"$sluice" cat out >rows.txt
python3 - "$planned" <<'PY' || exit 1
import json, sys
planned = sys.argv[1]
rows = [json.loads(l) for l in open("rows.txt")]
assert len(rows) == 800, len(rows)
assert all(r["same"] for r in rows), "now() differs from current_timestamp()"
by_batch = {}
for r in rows:
    by_batch.setdefault(r["n"] // 2000, set()).add(r["at"])  # files 0-1 are batch 0, 2-3 batch 1
for b, ats in by_batch.items():
    assert len(ats) == 1, f"batch {b} has {len(ats)} times: {sorted(ats)}"
t0, t1 = by_batch[0].pop(), by_batch[1].pop()
assert t0 < t1, (t0, t1)
assert t1 == planned, f"the replayed batch 1 got {t1}, planned at {planned}"
assert t0.endswith("Z") and len(t0) == 24, t0
PY
echo "ok current_timestamp(): one time per batch, the planned one on replay"
