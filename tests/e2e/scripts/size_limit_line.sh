#!/usr/bin/env bash
# A line holding more string data than a column of one batch may (2 GiB;
# here SLUICE_TEST_SIZE_LIMIT=100, which lowers every size limit to 100
# bytes by the same code) is a malformed line under the parse mode, never
# an abort: permissive keeps a row of nulls with the line's text in the
# corrupt column, cut short and saying so; drop_malformed drops it;
# fail_fast exits 1 naming the file, the line, the column and the limit.
# Usage: size_limit_line.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-size-line.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }

mkdir in
x150=$(printf 'x%.0s' $(seq 150))
# Line 2 holds 150 bytes for `text`: 168 bytes in all.
printf '{"id":1,"text":"short"}\n{"id":2,"text":"%s"}\n{"id":3,"text":"after"}\n' "$x150" >in/data.json

run_mode() { # MODE SCHEMA: runs into out.txt and err.txt, sets $status
  cat > pipeline.conf <<CONF
name = "size_line";
runtime = { trigger = "once"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "$2"; mode = "$1"; },
  { name = "out"; input = "rows"; sink = "console"; format = "jsonl"; }
);
CONF
  status=0
  SLUICE_TEST_SIZE_LIMIT=100 "$sluice" run pipeline.conf >out.txt 2>err.txt || status=$?
}

# Permissive: 100 bytes left for the corrupt column: the note
# "... [truncated: the line holds 168 bytes]" (41) and the first 59 bytes:
# {"id":2,"text":" (16) and 43 x.
run_mode permissive "id LONG, text STRING, _corrupt_record STRING"
[ "$status" = 0 ] || fail "permissive: exit status $status"
note='... [truncated: the line holds 168 bytes]'
head59=$(printf '{\\"id\\":2,\\"text\\":\\"%s' "$(printf 'x%.0s' $(seq 43))")
cat > want.txt <<WANT
{"batch_id":0,"row":{"id":1,"text":"short","_corrupt_record":null}}
{"batch_id":0,"row":{"id":null,"text":null,"_corrupt_record":"$head59$note"}}
{"batch_id":0,"row":{"id":3,"text":"after","_corrupt_record":null}}
WANT
diff -u want.txt out.txt >&2 || fail "permissive output"
grep -qF "1 malformed input lines were read" err.txt || fail "permissive: the malformed line is not counted"

run_mode drop_malformed "id LONG, text STRING"
[ "$status" = 0 ] || fail "drop_malformed: exit status $status"
printf '%s\n' '{"batch_id":0,"row":{"id":1,"text":"short"}}' '{"batch_id":0,"row":{"id":3,"text":"after"}}' >want.txt
diff -u want.txt out.txt >&2 || fail "drop_malformed output"

run_mode fail_fast "id LONG, text STRING"
[ "$status" = 1 ] || fail "fail_fast: exit status $status, expected 1"
grep -qF "malformed JSON at in/data.json:2: column 'text': more than 100 bytes of strings in one batch (Arrow's 32-bit offsets)" err.txt \
  || fail "fail_fast: the error does not name file, line, column and limit"
[ ! -s out.txt ] || fail "fail_fast printed rows"

# Without the test limit the same line is just a line.
status=0
"$sluice" run pipeline.conf >out.txt 2>err.txt || status=$?
[ "$status" = 0 ] || fail "without the test limit: exit status $status"
[ "$(wc -l <out.txt)" = 3 ] || fail "without the test limit: $(wc -l <out.txt) rows"
echo "ok size_limit_line"
