#!/usr/bin/env bash
# A source whose offsets mean rows only with state of its own replays the
# rows it first read (issue 13). The example rate source counts rows from
# the time it first ran and keeps that start time in the checkpoint,
# reading it back in prepare(), as the author's guide says. A batch killed
# after its sinks took it is replayed first on restart (plan_read right
# after prepare, before any latest_offset), and must give the same rows,
# timestamps included. And `sluice check` reads a checkpoint, never
# writes it.
# Usage: source_metadata_replay.sh SLUICE
set -euo pipefail
sluice=$1
examples=$(cd "$(dirname "$sluice")" && pwd)/examples
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-meta-replay.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }

cat > pipeline.conf <<CONF
name = "ticks";
runtime = { trigger = "0 seconds"; checkpoint = "ckpt"; plugin_path = ["$examples"]; };
stages = (
  { name = "ticks"; source = "rate"; rows_per_second = 1000000; limit = 20; num_partitions = 2; },
  { name = "out"; input = "ticks"; sink = "console"; format = "jsonl"; }
);
CONF

# A check on a checkpoint that does not exist yet makes nothing.
"$sluice" check pipeline.conf -q 2>err.txt || fail "sluice check failed"
[ ! -e ckpt ] || fail "sluice check wrote into the checkpoint: $(find ckpt)"

# Killed once batch 0 is in every sink, before its commit.
status=$( { SLUICE_TEST_CRASH_AT=sink:0 "$sluice" run pipeline.conf -q >first.txt 2>err.txt; echo $?; } 2>/dev/null )
[ "$status" = 137 ] || fail "first run: exit status $status, expected 137 (killed)"
grep -q '"batch_id":0' first.txt || fail "the first run printed no batch 0"

# A check now reads the stored start time but changes nothing.
before=$(find ckpt -type f | sort | xargs md5sum)
sleep 0.01
"$sluice" check pipeline.conf -q 2>err.txt || fail "sluice check on the checkpoint failed"
[ "$(find ckpt -type f | sort | xargs md5sum)" = "$before" ] || fail "sluice check changed the checkpoint"

# The restart replays batch 0, then stops (Trigger.Once after a recovered batch).
sleep 0.01 # a later start time would show in every timestamp
"$sluice" run pipeline.conf --set runtime.trigger=once -q >second.txt 2>err.txt || fail "the restart failed"
grep '"batch_id":0' second.txt >replayed.txt || fail "the restart did not replay batch 0"
if ! diff -u first.txt replayed.txt >&2; then
    fail "batch 0 replayed with other rows (- first try, + replay)"
fi
echo "ok source_metadata_replay ($(wc -l <first.txt) rows replayed alike)"
