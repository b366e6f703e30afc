#!/usr/bin/env bash
# SLUICE_CHECK_BATCHES=1 checks every batch a plugin emits against the
# schema its stage declared (core/arrow/validate.h), naming the stage, the
# plugin and what is wrong, instead of a crash or garbage further down. The
# fixture transform `pick` declares one column and hands its two-column
# input on as it is.
# Usage: check_batches.sh SLUICE
set -euo pipefail
sluice=$1
fixtures=$(cd "$(dirname "$sluice")" && pwd)/test-plugins
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-check-batches.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }
mkdir in
echo '{"a":1,"b":"x"}' >in/1.json
cat > pipeline.conf <<CONF
runtime = { trigger = "once"; plugin_path = ["$fixtures"]; };
stages = (
  { name = "src"; source = "file"; path = "in"; schema = "a LONG, b STRING"; },
  { name = "bad"; input = "src"; transform = "pick"; pass = ["a"]; compute = ""; },
  { name = "out"; input = "bad"; sink = "console"; format = "jsonl"; }
);
CONF
status=0
SLUICE_CHECK_BATCHES=1 "$sluice" run pipeline.conf >out.txt 2>err.txt || status=$?
[ "$status" = 1 ] || fail "exit status $status, expected 1"
grep -q "stage 'bad': transform plugin 'pick' emitted a malformed batch: the batch has 2 columns, its schema 1" err.txt ||
  fail "the malformed batch is not named"
[ ! -s out.txt ] || fail "the malformed batch reached the sink"
# The built-in plugins' batches pass.
sed -i 's/transform = "pick"; pass = \["a"\]; compute = "";/transform = "select"; columns = ["a", "upper(b) AS b"];/' pipeline.conf
SLUICE_CHECK_BATCHES=1 "$sluice" run pipeline.conf >out.txt 2>err.txt || fail "a well-formed pipeline failed the checks"
[ "$(cat out.txt)" = '{"batch_id":0,"row":{"a":1,"b":"X"}}' ] || fail "output: $(cat out.txt)"
echo "ok check_batches"
