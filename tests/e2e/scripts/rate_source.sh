#!/usr/bin/env bash
# Spark's rate source: with a ramp-up, each batch holds the values Spark's
# valueAtSecond gives for its range of seconds, stamped evenly over them
# from the creation time kept in the checkpoint; killed with SIGKILL while
# its sinks hold a batch and restarted, the replayed batch gives the same
# rows and the committed output holds every value exactly once. Checked by
# an independent computation from the checkpoint's offsets and metadata.
# Usage: rate_source.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-rate.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && cat err.txt >&2; exit 1; }

cat > pipeline.conf <<'CONF'
runtime = { trigger = "1 second"; checkpoint = "ckpt"; };
stages = (
  { name = "r"; source = "rate"; rows_per_second = 5; ramp_up_time = "2 seconds"; num_partitions = 2; },
  { name = "out"; input = "r"; sink = "file"; path = "out"; }
);
CONF
# Batch 1 dies once its sinks hold it; the restart replays it.
status=$( { SLUICE_TEST_CRASH_AT=sink:1 "$sluice" run pipeline.conf -q 2>err.txt; echo $?; } 2>/dev/null )
[ "$status" = 137 ] || fail "the first run ended with status $status, expected 137 (killed)"
"$sluice" run pipeline.conf -q --max-batches 3 2>err.txt || fail "the restart failed"
"$sluice" cat out >rows.jsonl 2>err.txt || fail "sluice cat failed"

python3 - <<'PY'
import glob, json, math, sys
def payload(path):  # a checkpoint file: one header line, then the payload
    return open(path).read().split("\n", 1)[1]
created = int(payload("ckpt/sources/r/0"))
def value_at(s, rps=5, ramp=2):  # Spark's RateStreamProvider.valueAtSecond
    delta = rps // (ramp + 1)
    if s <= ramp:
        return (s + 1) // 2 * delta * s if s % 2 else s // 2 * delta * (s + 1)
    return value_at(ramp) + (s - ramp) * rps
want = {}
for path in sorted(glob.glob("ckpt/offsets/*"), key=lambda p: int(p.rsplit("/", 1)[1])):
    e = json.loads(payload(path))
    s0, s1 = int(e["start"] or 0), int(e["end"])
    lo, hi = value_at(s0), value_at(s1)
    for v in range(lo, hi):
        ms = created + s0 * 1000 + round((v - lo) * (s1 - s0) * 1000 / (hi - lo))
        want[v] = ms
rows = [json.loads(l) for l in open("rows.jsonl")]
got = {}
for r in rows:
    v = r["value"]
    if v in got:
        sys.exit(f"value {v} written twice")
    t = r["timestamp"]  # 1970-01-01T00:00:01.000Z
    from datetime import datetime, timezone
    d = datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    got[v] = round(d.timestamp() * 1000)
if sorted(got) != list(range(len(got))) or not got:
    sys.exit(f"values are not 0..n-1: {sorted(got)}")
for v, ms in got.items():
    if want.get(v) != ms:
        sys.exit(f"value {v}: timestamp {ms}, expected {want.get(v)}")
print(f"rate source: {len(got)} values over {len(want)} planned, each once, timestamps as Spark's")
PY
