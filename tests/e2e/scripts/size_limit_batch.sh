#!/usr/bin/env bash
# Size limits past the decoder fail the batch, never the process: exit 1
# with a message naming the stage, the column and the limit, and the batch
# is not committed, so a restart replays it. SLUICE_TEST_SIZE_LIMIT=300
# lowers every limit (2 GiB of strings per column per batch, ...) to 300
# bytes, so a few keys cross it by the same code 2 GiB would.
#  1. complete mode emits every group each batch: 17 keys of 20 bytes are
#     340 bytes of strings in one output batch, though no input batch
#     held more than 240;
#  2. explode repeats a row per element (a plugin's take through the host
#     table, which cannot return an error): 6 copies of a 60-byte text.
# Usage: size_limit_batch.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-size-batch.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }

# Keys key-00000000000000 .. key-00000000000016: 20 bytes each.
mkdir in
for i in 0 1 2 3 4; do printf '{"k":"key-%016d"}\n' $i; done >in/f0.json
for i in $(seq 5 16); do printf '{"k":"key-%016d"}\n' $i; done >in/f1.json
cat > pipeline.conf <<'CONF'
name = "size_batch";
runtime = { trigger = "available_now"; checkpoint = "ckpt"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "k STRING"; max_files_per_trigger = 1; },
  { name = "by_key"; input = "rows"; group_by = ["k"]; aggregate = ["count(*) AS n"]; },
  { name = "out"; input = "by_key"; sink = "console"; format = "jsonl"; output_mode = "complete"; }
);
CONF
status=0
SLUICE_TEST_SIZE_LIMIT=300 "$sluice" run pipeline.conf >out.txt 2>err.txt || status=$?
[ "$status" = 1 ] || fail "the emission past the limit: exit status $status, expected 1"
grep -qF "stage 'by_key': column 'k': more than 300 bytes of strings in one batch (Arrow's 32-bit offsets)" err.txt \
  || fail "the error does not name the stage, the column and the limit"
[ "$(grep -c '"batch_id":0' out.txt)" = 5 ] || fail "batch 0 did not print its 5 groups"
grep -q '"batch_id":1' out.txt && fail "rows of the failed batch were printed"
[ -f ckpt/commits/0 ] || fail "batch 0 was not committed"
[ ! -e ckpt/commits/1 ] || fail "the failed batch 1 was committed"

# Restarted with the real limits, batch 1 is replayed from batch 0's state
# (groups come out by hash partition: compare them sorted).
"$sluice" run pipeline.conf >out.txt 2>err.txt || fail "the restart"
grep -qF "batch 1 runs again" err.txt || fail "the restart did not replay batch 1"
for i in $(seq 0 16); do printf '{"batch_id":1,"row":{"k":"key-%016d","n":1}}\n' $i; done >want.txt
sort out.txt | diff -u want.txt - >&2 || fail "the replayed batch"
[ -f ckpt/commits/1 ] || fail "the replayed batch was not committed"

# 2. explode: 6 copies of a 60-byte text in one batch are 360 bytes.
rm -rf in ckpt
mkdir in
text=$(printf 't%.0s' $(seq 60))
printf '{"text":"%s","tags":["a","b","c","d","e","f"]}\n' "$text" >in/f.json
cat > pipeline.conf <<'CONF'
name = "size_explode";
runtime = { trigger = "once"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "text STRING, tags ARRAY<STRING>"; },
  { name = "ex"; input = "rows"; transform = "explode"; column = "tags"; alias = "tag"; },
  { name = "out"; input = "ex"; sink = "console"; format = "jsonl"; }
);
CONF
status=0
SLUICE_TEST_SIZE_LIMIT=300 "$sluice" run pipeline.conf >out.txt 2>err.txt || status=$?
[ "$status" = 1 ] || fail "explode past the limit: exit status $status, expected 1"
grep -qF "stage 'ex': column 'text': more than 300 bytes of strings in one batch (Arrow's 32-bit offsets)" err.txt \
  || fail "explode: the error does not name the stage, the column and the limit"
[ ! -s out.txt ] || fail "explode: rows of the failed batch were printed"
"$sluice" run pipeline.conf >out.txt 2>err.txt || fail "explode without the test limit"
[ "$(wc -l <out.txt)" = 6 ] || fail "explode without the test limit: $(wc -l <out.txt) rows"
echo "ok size_limit_batch"
