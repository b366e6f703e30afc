#!/usr/bin/env bash
# A running pipeline keeps two memory tables (raw rows appended, a count by
# language replaced each batch) and serves them on runtime.http (a port the
# system picks); `sluice query` reads them by name, with SQL, and with
# --watch; a new file updates them; SIGTERM stops the pipeline with exit 0.
# Usage: memory_sink_and_query.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-memq.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
mkdir in
cat > pipeline.conf <<'CONF'
name = "memq";
runtime = { trigger = "100 milliseconds"; shuffle_partitions = 1; http = "127.0.0.1:0"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "lang STRING, n LONG"; },
  { name = "raw"; input = "rows"; sink = "memory"; query_name = "tweets"; },
  { name = "by_lang"; input = "rows"; group_by = ["lang"]; aggregate = ["count(*) AS count"]; },
  { name = "out"; input = "by_lang"; sink = "memory"; query_name = "lang_count"; output_mode = "complete"; }
);
CONF

fail() { echo "FAIL: $*" >&2; echo "--- pipeline stderr:" >&2; cat err.txt >&2; exit 1; }

"$sluice" run pipeline.conf >out.txt 2>err.txt &
pid=$!

# The server logs where it listens; port 0 means the system chose.
addr=
for _ in $(seq 1 200); do
  addr=$(sed -n 's|.*serving memory tables and progress on http://\(127\.0\.0\.1:[0-9]*\).*|\1|p' err.txt)
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || fail "the pipeline exited before serving"
  sleep 0.05
done
[ -n "$addr" ] || fail "no 'serving ... on http://' line within 10 s"
q() { "$sluice" query --http "$addr" "$@"; }

wait_rows() { # N: wait up to 10 s until table tweets has N rows
  for _ in $(seq 1 200); do
    [ "$(q --format jsonl "SELECT count(1) AS n FROM tweets" 2>/dev/null)" = "{\"n\":$1}" ] && return 0
    sleep 0.05
  done
  fail "waited for $1 rows in tweets"
}

expect() { # NAME EXPECTED ACTUAL
  [ "$2" = "$3" ] || { echo "FAIL: $1 differs:" >&2; diff <(echo "$2") <(echo "$3") >&2; exit 1; }
}

printf '{"lang":"en","n":1}\n{"lang":"fr","n":2}\n{"lang":"en","n":3}\n' > in/.a.tmp && mv in/.a.tmp in/a.json
wait_rows 3

expect "sluice query lang_count" "$(cat <<'OUT'
+----+-----+
|lang|count|
+----+-----+
|  en|    2|
|  fr|    1|
+----+-----+
OUT
)" "$(q lang_count)"

expect "a statement" "$(cat <<'OUT'
+----+------+---+
|lang|sum(n)|  c|
+----+------+---+
|  en|     4|  2|
|  fr|     2|  1|
+----+------+---+
OUT
)" "$(q "SELECT lang, sum(n), count(*) AS c FROM tweets GROUP BY lang ORDER BY c DESC")"

expect "--watch 200ms --count 2" "$(cat <<'OUT'
Time: T
+--------+
|count(1)|
+--------+
|       3|
+--------+

Time: T
+--------+
|count(1)|
+--------+
|       3|
+--------+
OUT
)" "$(q "SELECT count(1) FROM tweets" --watch 200ms --count 2 | sed 's/^Time: [0-9-]* [0-9:]*$/Time: T/')"

# State carries across batches; the complete table is replaced, the raw one appended.
printf '{"lang":"de","n":4}\n{"lang":"en","n":5}\n' > in/.b.tmp && mv in/.b.tmp in/b.json
wait_rows 5
expect "lang_count after a second file" "$(cat <<'OUT'
{"lang":"en","count":3}
{"lang":"fr","count":1}
{"lang":"de","count":1}
OUT
)" "$(q lang_count --format jsonl)"
expect "num-rows" "$(cat <<'OUT'
+----+---+
|lang|  n|
+----+---+
|  en|  1|
|  fr|  2|
+----+---+
only showing top 2 rows
OUT
)" "$(q tweets --num-rows 2)"

# Errors: an unknown table is a usage error naming the tables there are.
status=0
q nope >/dev/null 2>qerr.txt || status=$?
[ "$status" = 2 ] || fail "sluice query nope exited $status, want 2"
expect "unknown table" "sluice: no memory table 'nope'
  hint: the tables are: lang_count, tweets" "$(cat qerr.txt)"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[ "$status" = 0 ] || fail "exit status $status after SIGTERM"
echo "ok memory sink: tables served while running, read by name, SQL and --watch, clean exit on SIGTERM"
