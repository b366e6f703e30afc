#!/usr/bin/env bash
# The file source while its directory changes, on the real binary with a
# checkpoint and the file sink:
# - a loop of symbolic links in the directory is skipped with a warning
#   naming it, and the stream goes on;
# - a planned file deleted before its batch ran fails the run and the
#   restart, which says how to get unstuck; with ignore_missing_files the
#   restart skips it, with a warning, and the other file's rows are written;
# - a changed path reads the new directory's file although its name was
#   read before from the old one;
# - min_file_age leaves a file modified just now for a later run.
# Usage: file_source_changes.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-file-changes.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }

mkdir in
printf '{"n":1}\n' >in/a.json
printf '{"n":2}\n' >in/b.json
ln -s loop.json in/loop.json
cat > pipeline.conf <<'CONF'
name = "file_changes";
runtime = { trigger = "available_now"; checkpoint = "ckpt"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "n LONG"; },
  { name = "out"; input = "rows"; sink = "file"; path = "out"; }
);
CONF

# Batch 0 is planned (a.json, b.json), then the process dies.
status=$( { SLUICE_TEST_CRASH_AT=plan:0 "$sluice" run pipeline.conf 2>err.txt; echo $?; } 2>/dev/null )
[ "$status" = 137 ] || fail "the crash point did not fire (exit $status)"
grep -qF "skipping 'in/loop.json': a loop of symbolic links" err.txt || fail "no warning naming the loop"

rm in/b.json
status=0
"$sluice" run pipeline.conf 2>err.txt || status=$?
[ "$status" = 1 ] || fail "a planned file gone: exit $status, expected 1"
grep -qF "stage 'rows': cannot read 'in/b.json', planned for this batch: No such file or directory" err.txt ||
  fail "the error does not name the missing file"
grep -qF -- "--set rows.ignore_missing_files=true" err.txt || fail "the error does not say how to get unstuck"
status=0
"$sluice" run pipeline.conf 2>err.txt || status=$?
[ "$status" = 1 ] || fail "the second restart: exit $status, expected 1 again"

"$sluice" run pipeline.conf --set rows.ignore_missing_files=true 2>err.txt || fail "ignore_missing_files"
grep -qF "skipping 'in/b.json', planned for this batch: No such file or directory (ignore_missing_files)" err.txt ||
  fail "no warning for the skipped file"
grep -qF "1 planned file could not be read and was skipped" err.txt || fail "no count of skipped files"
[ "$("$sluice" cat out)" = '{"n":1}' ] || fail "after skipping: $("$sluice" cat out | tr '\n' ' ')"

# Another directory, whose a.json is not the a.json already read.
mkdir in2
printf '{"n":3}\n' >in2/a.json
"$sluice" run pipeline.conf --set rows.path=in2 2>err.txt || fail "a new path"
grep -qF "path 'in2' ($work/in2) is not the directory the checkpoint last read files from ($work/in)" err.txt ||
  fail "the path change is not logged"
want='{"n":1}
{"n":3}'
[ "$("$sluice" cat out)" = "$want" ] || fail "after a new path: $("$sluice" cat out | tr '\n' ' ')"

# min_file_age: a file modified just now waits; an old one is read.
printf '{"n":4}\n' >in2/fresh.json
printf '{"n":5}\n' >in2/settled.json
touch -d '2 hours ago' in2/settled.json
"$sluice" run pipeline.conf --set rows.path=in2 --set 'rows.min_file_age=1 hour' 2>err.txt || fail "min_file_age"
want='{"n":1}
{"n":3}
{"n":5}'
[ "$("$sluice" cat out)" = "$want" ] || fail "with min_file_age: $("$sluice" cat out | tr '\n' ' ')"

echo "ok file source changes: a link loop skipped; a missing planned file fails, then is skipped on request; a new path read; min_file_age"
