#!/usr/bin/env bash
# A query over a memory table never takes the stream down. With
# runtime.query_memory_limit = "4 KiB" and a table of 60 rows of 100-byte
# strings over three micro-batches (about 6.5 KB): ORDER BY .. LIMIT
# answers from a top-k that never holds the table; a statement that would
# hold every row fails alone (HTTP 507, `sluice query` exit 1 with the
# server's message); the stream goes on and the next file still lands.
# Usage: query_memory_limit.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-qmem.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
mkdir in
cat > pipeline.conf <<'CONF'
name = "qmem";
runtime = { trigger = "100 milliseconds"; http = "127.0.0.1:0"; query_memory_limit = "4 KiB"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "k LONG, text STRING"; max_files_per_trigger = 1; },
  { name = "raw"; input = "rows"; sink = "memory"; query_name = "t"; }
);
CONF

fail() { echo "FAIL: $*" >&2; echo "--- pipeline stderr:" >&2; cat err.txt >&2; exit 1; }
expect() { # NAME EXPECTED ACTUAL
  [ "$2" = "$3" ] || { echo "FAIL: $1 differs:" >&2; diff <(echo "$2") <(echo "$3") >&2; exit 1; }
}

expect "check shows the bound" "  query memory:       4 KiB per query" \
  "$("$sluice" check pipeline.conf | grep 'query memory')"

# Rows k = 1..60, text "t<k>" padded with dots to 100 characters, 20 a file.
write_file() { # NAME FIRST LAST
  python3 - "$2" "$3" > "in/.$1.tmp" <<'PY'
import json, sys
for k in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    print(json.dumps({"k": k, "text": ("t%d" % k).ljust(100, ".")}))
PY
  mv "in/.$1.tmp" "in/$1.json"
}
write_file a 1 20
write_file b 21 40
write_file c 41 60

"$sluice" run pipeline.conf >out.txt 2>err.txt &
pid=$!
addr=
for _ in $(seq 1 200); do
  addr=$(sed -n 's|.*serving memory tables and progress on http://\(127\.0\.0\.1:[0-9]*\).*|\1|p' err.txt)
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || fail "the pipeline exited before serving"
  sleep 0.05
done
[ -n "$addr" ] || fail "no 'serving ... on http://' line within 10 s"
q() { "$sluice" query --http "$addr" "$@"; }
wait_rows() { # N: wait up to 10 s until table t has N rows
  for _ in $(seq 1 200); do
    [ "$(q --format jsonl "SELECT count(1) AS n FROM t" 2>/dev/null)" = "{\"n\":$1}" ] && return 0
    sleep 0.05
  done
  fail "waited for $1 rows in t"
}
wait_rows 60

# "t9..." sorts last of all: '9' is above every other second character.
expect "top-k under the bound" '{"k":9}' "$(q --format jsonl "SELECT k FROM t ORDER BY text DESC LIMIT 1")"
expect "top-3 ascending" '{"k":1}
{"k":10}
{"k":11}' "$(q --format jsonl "SELECT k FROM t ORDER BY text LIMIT 3")"

status=0
q --format jsonl "SELECT k, text FROM t ORDER BY k" >/dev/null 2>qerr.txt || status=$?
[ "$status" = 1 ] || fail "a query past the bound exited $status, want 1"
expect "the query past the bound" "sluice: the query needs more than 4 KiB for its rows (runtime.query_memory_limit)
  hint: add a LIMIT or a WHERE, select fewer columns, or raise runtime.query_memory_limit; the stream goes on" \
  "$(cat qerr.txt)"
code=$(curl -s -o body.json -w '%{http_code}' "http://$addr/sql?q=SELECT%20*%20FROM%20t")
[ "$code" = 507 ] || fail "HTTP $code for a query past the bound, want 507"
grep -q '"error":"the query needs more than 4 KiB for its rows' body.json || fail "507 body: $(cat body.json)"

# The stream runs on.
write_file d 61 80
wait_rows 80
expect "the new rows" '{"k":80}' "$(q --format jsonl "SELECT k FROM t ORDER BY k DESC LIMIT 1")"
kill -0 "$pid" 2>/dev/null || fail "the pipeline stopped"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[ "$status" = 0 ] || fail "exit status $status after SIGTERM"
echo "ok query memory limit: top-k within 4 KiB over a 6.5 KB table, the full sort refused with 507, the stream ran on"
