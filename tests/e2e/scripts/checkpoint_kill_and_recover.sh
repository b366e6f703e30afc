#!/usr/bin/env bash
# Exactly-once across kill -9: a windowed count with a watermark written by
# the file sink is killed with SIGKILL at every point of a batch (after its
# offsets are written, while the sinks hold its rows, after the sinks took
# it, half-way through saving state, after its commit), also while
# replaying and in a no-data batch, and restarted each time; the committed
# output (`sluice cat`) must equal one uninterrupted run's, batch for batch.
# Then the file source's log: a file that appears after a crash and sorts
# before the files already planned must not change what the replayed batch
# reads. The kills come from SLUICE_TEST_CRASH_AT=<point>:<batch>
# (core/runtime/state/checkpoint.h).
# Usage: checkpoint_kill_and_recover.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-ckpt-kill.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

. "$(dirname "$0")/../lib.sh"
# Run CONFIG with SLUICE_TEST_CRASH_AT=AT; it must die of SIGKILL (status
# 137). The subshell keeps bash's "Killed" notice out of the test's output.
"$sluice" gen tweets in --files 8 --rows 200 --step-ms 150 --late 0.1 --seed 7 >/dev/null
cat > pipeline.conf <<'CONF'
name = "kill_windows";
runtime = { trigger = "available_now"; shuffle_partitions = 3; checkpoint = "ckpt"; };
stages = (
  { name = "tweets"; source = "file"; path = "in"; format = "json";
    schema = "data STRUCT<created_at: TIMESTAMP, lang: STRING>"; max_files_per_trigger = 1;
    watermark = { column = "data.created_at"; delay = "5 seconds"; }; },
  { name = "counts"; input = "tweets";
    window = { column = "data.created_at"; duration = "10 seconds"; slide = "5 seconds"; };
    group_by = ["data.lang AS lang"]; aggregate = ["count(*) AS n", "count(DISTINCT data.lang) AS langs"]; },
  { name = "out"; input = "counts"; sink = "file"; path = "out"; }
);
CONF

# One uninterrupted run is the reference.
"$sluice" run pipeline.conf --set runtime.checkpoint=ref_ckpt --set out.path=ref 2>err.txt || fail "reference run"
"$sluice" cat ref >ref.txt
batches=$(ls ref/_sluice_manifest | grep -c '^[0-9]')
[ "$batches" = 9 ] || fail "the reference should have 8 data batches and a no-data batch, has $batches"
[ "$(wc -l <ref.txt)" -gt 100 ] || fail "the reference has too few rows"

# Each run dies at its point; the next one recovers and goes on.
for at in plan:1 batch:2 batch:2 sink:3 state:4 commit:5 state:6 plan:8 batch:8; do
  crash_run "$at" pipeline.conf
done
"$sluice" run pipeline.conf -q 2>err.txt || fail "the last run after the kills"
"$sluice" cat out >got.txt
diff -u ref.txt got.txt >&2 || fail "committed output after kills differs from one uninterrupted run"
for b in $(seq 0 8); do
  cmp -s <("$sluice" cat ref --batch "$b") <("$sluice" cat out --batch "$b") || fail "batch $b differs"
done
# Nothing is left to do: a new run adds nothing.
"$sluice" run pipeline.conf -q 2>err.txt || fail "a run with nothing new"
"$sluice" cat out | cmp -s - ref.txt || fail "a run with nothing new changed the output"

# The file log survives a crash. Batch 1 is planned as the second file in
# name order; then a file appears whose name sorts first: the replay must
# still read the second file, and the newcomer comes after.
mkdir logdir
printf '{"n":1}\n' >logdir/b.json
printf '{"n":2}\n' >logdir/c.json
cat > log.conf <<'CONF'
name = "file_log";
runtime = { trigger = "available_now"; checkpoint = "log_ckpt"; };
stages = (
  { name = "rows"; source = "file"; path = "logdir"; schema = "n LONG"; max_files_per_trigger = 1; },
  { name = "out"; input = "rows"; sink = "file"; path = "log_out"; }
);
CONF
crash_run plan:1 log.conf
printf '{"n":0}\n' >logdir/a.json
"$sluice" run log.conf -q 2>err.txt || fail "file log: recovery"
want='{"n":1}
{"n":2}
{"n":0}'
[ "$("$sluice" cat log_out)" = "$want" ] || fail "file log: got $("$sluice" cat log_out | tr '\n' ' ')"
[ "$("$sluice" cat log_out --batch 1)" = '{"n":2}' ] || fail "file log: batch 1 is not the planned file"

# A live stream killed from outside at an arbitrary moment, with files
# still arriving: after a restart every file's row is there exactly once.
# Twenty files also make the file log compact its entries in the checkpoint.
mkdir live
cat > live.conf <<'CONF'
name = "live";
runtime = { trigger = "0 seconds"; checkpoint = "live_ckpt"; };
stages = (
  { name = "rows"; source = "file"; path = "live"; schema = "n LONG"; },
  { name = "out"; input = "rows"; sink = "file"; path = "live_out"; }
);
CONF
"$sluice" run live.conf -q 2>err.txt &
pid=$!
for n in $(seq 10 29); do
  printf '{"n":%d}\n' "$n" >live/.tmp && mv live/.tmp "live/f$n.json"
  sleep 0.03
  [ "$n" = 21 ] && { kill -9 "$pid"; wait "$pid" 2>/dev/null || true; }
done
"$sluice" run live.conf -q --set runtime.trigger=available_now 2>err.txt || fail "live: recovery"
want=$(seq 10 29 | sed 's/.*/{"n":&}/')
[ "$("$sluice" cat live_out | sort)" = "$want" ] || fail "live: got $("$sluice" cat live_out | tr '\n' ' ')"
[ "$(ls live_ckpt/sources/rows | wc -l)" -le 16 ] || fail "live: the file log was not compacted"

echo "ok checkpoint: 9 kills, output equal to one uninterrupted run; file log replay-safe; a live stream killed"
