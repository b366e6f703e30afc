#!/usr/bin/env bash
# `sluice cat` on a damaged file sink output: every damaged batch is named
# (a deleted manifest, a deleted part file, a part file cut short), nothing
# is printed and the exit status is 1; --ignore-damaged says so on stderr,
# prints every row that can still be read (a batch whose manifest is gone
# from its part files) and still exits 1. A gap in the manifests, the first
# ones included, is damage, never silence.
# Usage: cat_damaged_output.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-cat-damage.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }

# Five batches of two rows each: batch k holds n = 2k and 2k + 1.
mkdir in
for k in 0 1 2 3 4; do printf '{"n":%d}\n{"n":%d}\n' $((2 * k)) $((2 * k + 1)) >in/f$k.json; done
cat > pipeline.conf <<'CONF'
name = "cat_damage";
runtime = { trigger = "available_now"; checkpoint = "ckpt"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "n LONG"; max_files_per_trigger = 1; },
  { name = "out"; input = "rows"; sink = "file"; path = "out"; },
  { name = "out_csv"; input = "rows"; sink = "file"; path = "out_csv"; format = "csv"; header = true; }
);
CONF
"$sluice" run pipeline.conf -q || fail "the pipeline"
all=$(for n in 0 1 2 3 4 5 6 7 8 9; do echo "{\"n\":$n}"; done)
[ "$("$sluice" cat out)" = "$all" ] || fail "the intact output"

# cat_expect STATUS PATH [ARGS...]: runs cat into out.txt and err.txt.
cat_expect() {
  local want=$1 status=0
  shift
  "$sluice" cat "$@" >out.txt 2>err.txt || status=$?
  [ "$status" = "$want" ] || fail "cat $*: exit status $status, expected $want"
}
has() { grep -qF -- "$1" err.txt || fail "stderr lacks: $1"; }

rm out/_sluice_manifest/1
rm out/part-00003-00000.json
printf '{"n":8}\n{"n":' >out/part-00004-00000.json

cat_expect 1 out
[ ! -s out.txt ] || fail "rows were printed from a damaged output"
has "sluice: error: batch 1 of 'out' is damaged: its manifest 'out/_sluice_manifest/1' is missing, though batch 2 after it is committed"
has "sluice: error: batch 3 of 'out' is damaged: cannot read 'out/part-00003-00000.json': No such file or directory"
has "sluice: error: batch 4 of 'out' is damaged: "
has "out/part-00004-00000.json:2"
has "sluice: 3 of 5 batches of 'out' are damaged: nothing was printed"
has "hint: --ignore-damaged prints the rows that can still be read"

cat_expect 1 out --ignore-damaged
has "sluice: warning: --ignore-damaged: printing what can be read of 'out'"
has "sluice: warning: batch 3 of 'out' is damaged"
has "sluice: 3 of 5 batches of 'out' are damaged: printed what could be read"
want=$(for n in 0 1 2 3 4 5 8; do echo "{\"n\":$n}"; done)
[ "$(cat out.txt)" = "$want" ] || fail "--ignore-damaged printed: $(tr '\n' ' ' <out.txt)"

# One batch: damaged alone, or intact beside damaged ones.
cat_expect 1 out --batch 1
has "batch 1 of 'out' is damaged: its manifest 'out/_sluice_manifest/1' is missing, though batch 2 after it is committed"
has "sluice: 1 of 1 batch of 'out' is damaged: nothing was printed"
cat_expect 0 out --batch 2
[ "$(cat out.txt)" = $'{"n":4}\n{"n":5}' ] || fail "--batch 2 printed: $(tr '\n' ' ' <out.txt)"
cat_expect 2 out --batch 9
has "sluice: batch 9 is not committed in 'out'"

# The first manifests gone: their part files show the batches were there.
rm out_csv/_sluice_manifest/0 out_csv/_sluice_manifest/1
cat_expect 1 out_csv
has "sluice: error: batches 0 to 1 of 'out_csv' are damaged: their manifests are missing from 'out_csv/_sluice_manifest', though batch 2 after them is committed"
has "sluice: 2 of 5 batches of 'out_csv' are damaged: nothing was printed"
cat_expect 1 out_csv --ignore-damaged
[ "$(cat out.txt)" = "$all" ] || fail "--ignore-damaged on csv printed: $(tr '\n' ' ' <out.txt)"

# The output's format is its sink's: a sink that cannot read back is named.
cat_expect 2 out --sink console
has "sluice: sink plugin 'console' cannot read back what it wrote"
cat_expect 2 out --sink consle
has "unknown sink plugin 'consle'"

echo "ok cat on damaged output: every damaged batch named, nothing printed, --ignore-damaged prints the rest"
