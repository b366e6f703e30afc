#!/usr/bin/env bash
# clean_source (Spark's cleanSource) on the real binary, with a checkpoint
# and the file sink:
# - archive: files move under source_archive_dir at their full path, but
#   only once their batch has committed: a crash after the sinks wrote
#   batch 0 and before its commit leaves a.json and b.json in place, the
#   restart replays batch 0 from them, then archives them; every row is
#   written once;
# - a file already in the archive is not replaced: a warning, the run
#   goes on (exit 0) and the file stays;
# - delete: files are gone after the run.
# Usage: file_clean_source.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-clean-source.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
work=$(pwd -P)
fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }

mkdir in
for f in a b c; do printf '{"f":"%s"}\n' "$f" >"in/$f.json"; done
cat >pipeline.conf <<'CONF'
name = "clean_source";
runtime = { trigger = "available_now"; checkpoint = "ckpt"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "f STRING"; max_files_per_trigger = 2;
    clean_source = "archive"; source_archive_dir = "archive"; },
  { name = "out"; input = "rows"; sink = "file"; path = "out"; }
);
CONF

status=$( { SLUICE_TEST_CRASH_AT=sink:0 "$sluice" run pipeline.conf 2>err.txt; echo $?; } 2>/dev/null )
[ "$status" = 137 ] || fail "the crash point did not fire (exit $status)"
[ -f in/a.json ] && [ -f in/b.json ] || fail "files of an uncommitted batch were cleaned"
[ ! -e archive ] || fail "the archive was written before a commit"

"$sluice" run pipeline.conf 2>err.txt || fail "the restart"
[ "$("$sluice" cat out | tr '\n' ' ')" = '{"f":"a"} {"f":"b"} {"f":"c"} ' ] ||
  fail "rows after the restart: $("$sluice" cat out | tr '\n' ' ')"
[ -z "$(ls in)" ] || fail "left in the source: $(ls in)"
for f in a b c; do
  [ "$(cat "archive$work/in/$f.json")" = "{\"f\":\"$f\"}" ] || fail "archive$work/in/$f.json"
done

# d.json's place in the archive is taken: it stays, with a warning.
printf '{"f":"d"}\n' >in/d.json
printf 'taken\n' >"archive$work/in/d.json"
"$sluice" run pipeline.conf 2>err.txt || fail "a taken archive place failed the run"
grep -qF "clean_source: cannot move 'in/d.json' to '$work/archive$work/in/d.json': File exists; 'in/d.json' stays where it is" err.txt ||
  fail "no warning for d.json"
[ -f in/d.json ] && [ "$(cat "archive$work/in/d.json")" = taken ] || fail "d.json or its archive place changed"

# delete
printf '{"f":"e"}\n' >in/e.json
"$sluice" run pipeline.conf --set rows.clean_source=delete 2>err.txt || fail "delete"
grep -qF "source_archive_dir is unused" err.txt || fail "no word about the unused archive dir"
[ ! -e in/e.json ] || fail "e.json not deleted"
[ "$("$sluice" cat out | tr '\n' ' ')" = '{"f":"a"} {"f":"b"} {"f":"c"} {"f":"d"} {"f":"e"} ' ] ||
  fail "rows at the end: $("$sluice" cat out | tr '\n' ' ')"
echo "ok clean_source: archived after the commit only, never over a file, deleted"
