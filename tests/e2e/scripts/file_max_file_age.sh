#!/usr/bin/env bash
# max_file_age (Spark's maxFileAge) on the real binary, across a restart
# with a checkpoint: the first run reads every file however old (a is two
# hours older than b); the newest file read is then b, 12:00, so with
# "1 hour" the second run reads c (11:30) and e (12:30) and leaves out
# d (10:30, before 11:00), saying so with -v. Without the option d is read.
# Usage: file_max_file_age.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-file-age.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }

at() { printf '{"f":"%s"}\n' "$1" >"in/$1.json"; touch -d "2021-05-03 $2 UTC" "in/$1.json"; }
mkdir in
at a 10:00
at b 12:00
cat >pipeline.conf <<'CONF'
name = "file_age";
runtime = { trigger = "available_now"; checkpoint = "ckpt"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "f STRING"; max_file_age = "1 hour"; },
  { name = "out"; input = "rows"; sink = "file"; path = "out"; }
);
CONF
"$sluice" run pipeline.conf 2>err.txt || fail "first run"
[ "$("$sluice" cat out | tr '\n' ' ')" = '{"f":"a"} {"f":"b"} ' ] || fail "first run read $("$sluice" cat out)"

at c 11:30
at d 10:30
at e 12:30
"$sluice" run -v pipeline.conf 2>err.txt || fail "second run"
[ "$("$sluice" cat out | tr '\n' ' ')" = '{"f":"a"} {"f":"b"} {"f":"c"} {"f":"e"} ' ] ||
  fail "second run: $("$sluice" cat out | tr '\n' ' ')"
grep -qF "skipping 'in/d.json': modified more than max_file_age before the newest file read" err.txt ||
  fail "d.json left out without a word"

# Without the option, d is just a new file.
"$sluice" run pipeline.conf --set rows.max_file_age=0s 2>err.txt || fail "third run"
[ "$("$sluice" cat out | tr '\n' ' ')" = '{"f":"a"} {"f":"b"} {"f":"c"} {"f":"e"} {"f":"d"} ' ] ||
  fail "without max_file_age: $("$sluice" cat out | tr '\n' ' ')"
echo "ok max_file_age: counted back from the newest file read, across a restart"
