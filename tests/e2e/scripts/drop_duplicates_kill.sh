#!/usr/bin/env bash
# Exactly-once across kill -9 for drop_duplicates' state: tweets deduplicated
# by language within the watermark (keys expire, so rows of a language pass
# again later; 10% of the tweets are late) into the file sink, killed with
# SIGKILL at every point of a batch (offsets written, sinks holding rows,
# sinks done, half-way through saving state, after the commit) and
# restarted each time: the committed output must equal one uninterrupted
# run's, batch for batch.
# Usage: drop_duplicates_kill.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-dedup-kill.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$(dirname "$0")/../lib.sh"
"$sluice" gen tweets in --files 8 --rows 200 --step-ms 150 --late 0.1 --seed 11 >/dev/null
cat > pipeline.conf <<'CONF'
name = "kill_dedup";
runtime = { trigger = "available_now"; checkpoint = "ckpt"; threads = 2; };
stages = (
  { name = "tweets"; source = "file"; path = "in"; format = "json";
    schema = "data STRUCT<created_at: TIMESTAMP, lang: STRING, id: STRING>"; max_files_per_trigger = 1;
    watermark = { column = "data.created_at"; delay = "5 seconds"; }; },
  { name = "unique"; input = "tweets"; transform = "drop_duplicates"; columns = ["data.lang"];
    within_watermark = true; },
  { name = "out"; input = "unique"; sink = "file"; path = "out"; }
);
CONF
"$sluice" run pipeline.conf --set runtime.checkpoint=ref_ckpt --set out.path=ref 2>err.txt || fail "reference run"
"$sluice" cat ref >ref.txt
rows=$(wc -l <ref.txt)
[ "$rows" -gt 20 ] && [ "$rows" -lt 1000 ] || fail "the reference kept $rows of 1600 rows: no test of the state"

for at in plan:1 batch:2 batch:2 sink:3 state:4 commit:5 state:6 plan:7; do
  crash_run "$at" pipeline.conf
done
"$sluice" run pipeline.conf -q 2>err.txt || fail "the last run after the kills"
"$sluice" cat out >got.txt
diff -u ref.txt got.txt >&2 || fail "committed output after kills differs from one uninterrupted run"
for b in $(seq 0 7); do
  cmp -s <("$sluice" cat ref --batch "$b") <("$sluice" cat out --batch "$b") || fail "batch $b differs"
done
echo "ok drop_duplicates through kill -9 at every point: $rows rows, as one uninterrupted run"
