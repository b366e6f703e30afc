#!/usr/bin/env bash
# A damaged checkpoint is never a silent restart: a truncated commit, an
# offsets file of garbage and a state file with a flipped bit each stop the
# run (exit 1) with the file's path, and nothing is written. A restart with
# an incompatible change (keys, shuffle partitions) is refused with exit 2,
# naming each change; a new watermark delay is accepted. Two pipelines
# never share a running checkpoint.
# Usage: checkpoint_damage_and_changes.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-ckpt-damage.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }

mkdir in
for i in 0 1 2; do
  printf '{"lang":"en","t":"2021-05-03T07:55:%02d.000Z"}\n{"lang":"fr","t":"2021-05-03T07:55:%02d.000Z"}\n' \
    $((10 * i)) $((10 * i + 1)) >in/part-$i.json
done
cat > pipeline.conf <<'CONF'
name = "damage";
runtime = { trigger = "available_now"; shuffle_partitions = 2; checkpoint = "ckpt"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "lang STRING, t TIMESTAMP"; max_files_per_trigger = 1;
    watermark = { column = "t"; delay = "5 seconds"; }; },
  { name = "by_lang"; input = "rows"; group_by = ["lang"]; aggregate = ["count(*) AS n"]; },
  { name = "out"; input = "by_lang"; sink = "console"; output_mode = "complete"; format = "jsonl"; }
);
CONF
"$sluice" run pipeline.conf -q >out.txt 2>err.txt || fail "first run"
cp -r ckpt good

# expect_damage STATUS MESSAGE: the run fails with STATUS, says MESSAGE, prints no rows.
expect() {
  local want_status=$1 message=$2 status=0
  "$sluice" run pipeline.conf "${@:3}" >out.txt 2>err.txt || status=$?
  [ "$status" = "$want_status" ] || fail "exit status $status, expected $want_status for: $message"
  grep -qF -- "$message" err.txt || fail "stderr lacks: $message"
  [ ! -s out.txt ] || fail "rows were printed for: $message"
}
restore() { rm -rf ckpt; cp -r good ckpt; }

truncate -s -3 ckpt/commits/2
expect 1 "checkpoint file 'ckpt/commits/2' is damaged: it is truncated"
restore
echo 'not a checkpoint file' >ckpt/offsets/2
expect 1 "checkpoint file 'ckpt/offsets/2' is damaged: it does not start with a sluice checkpoint header"
restore
# The newest state file: every restore reads it (one file per batch holds
# all the partitions the batch changed).
state=ckpt/state/$(ls ckpt/state | sort -n | tail -1)
python3 - "$state" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-1] ^= 0x10
open(p, "wb").write(b)
PY
expect 1 "checkpoint file '$state' is damaged: its checksum does not match its contents"
restore
rm ckpt/metadata
expect 1 "checkpoint file 'ckpt/metadata' is missing"
restore

expect 2 "pipeline.conf:2: key 'runtime.checkpoint': checkpoint 'ckpt' belongs to another pipeline: runtime.shuffle_partitions changed from 2 to 4" \
  --set runtime.shuffle_partitions=4
expect 2 'by_lang.group_by changed from ["lang"] to ["lang AS language"]; by_lang.aggregate changed from ["count(*) AS n"] to ["count(*) AS n","max(t)"]' \
  --set 'by_lang.group_by=["lang AS language"]' --set 'by_lang.aggregate=["count(*) AS n", "max(t)"]'
grep -qF "hint: undo the change, or give the changed pipeline a new runtime.checkpoint directory" err.txt ||
  fail "no hint for an incompatible change"

# A new delay keeps the state: the run goes on from batch 3 (nothing new yet).
printf '{"lang":"en","t":"2021-05-03T07:56:00.000Z"}\n' >in/part-3.json
"$sluice" run pipeline.conf --set rows.watermark.delay=30s >out.txt 2>err.txt || fail "a new delay"
want='{"batch_id":3,"row":{"lang":"en","n":4}}
{"batch_id":3,"row":{"lang":"fr","n":3}}'
[ "$(cat out.txt)" = "$want" ] || fail "after a new delay, got: $(cat out.txt)"

# One checkpoint, one running pipeline: a second one is refused while the first runs.
"$sluice" run pipeline.conf --set runtime.trigger=100ms -v >live.txt 2>live_err.txt &
pid=$!
trap 'kill -9 "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q "resuming from checkpoint" live_err.txt && break; sleep 0.05; done
expect 1 "checkpoint 'ckpt' is in use by another running pipeline"
kill -TERM "$pid"
wait "$pid" || fail "the first pipeline did not stop cleanly"
"$sluice" run pipeline.conf -q >out.txt 2>err.txt || fail "the checkpoint is free again once the first stopped"

echo "ok checkpoint damage: truncated, garbage, bad checksum, missing metadata; incompatible changes and a second writer refused"
