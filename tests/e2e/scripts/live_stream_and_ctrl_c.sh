#!/usr/bin/env bash
# A running stream picks up files as they appear (each in its own batch, in
# order), and SIGINT lets the current batch finish, then exits 0.
# Usage: live_stream_and_ctrl_c.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-live.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
mkdir in
cat > pipeline.conf <<'CONF'
name = "live";
runtime = { trigger = "100 milliseconds"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "n LONG"; },
  { name = "out"; input = "rows"; sink = "console"; format = "jsonl"; }
);
CONF

"$sluice" run pipeline.conf >out.txt 2>err.txt &
pid=$!

wait_for_lines() { # N: wait up to 10 s for N lines of output
  for _ in $(seq 1 200); do
    [ "$(wc -l <out.txt)" -ge "$1" ] && return 0
    sleep 0.05
  done
  echo "FAIL: waited for $1 lines, have:" >&2; cat out.txt err.txt >&2; exit 1
}

printf '{"n":1}\n{"n":2}\n' > in/.a.tmp && mv in/.a.tmp in/a.json
wait_for_lines 2
printf '{"n":3}\n' > in/.b.tmp && mv in/.b.tmp in/b.json
wait_for_lines 3
kill -INT "$pid"
status=0
wait "$pid" || status=$?
pid=
if [ "$status" != 0 ]; then echo "FAIL: exit status $status after SIGINT" >&2; cat err.txt >&2; exit 1; fi
expected='{"batch_id":0,"row":{"n":1}}
{"batch_id":0,"row":{"n":2}}
{"batch_id":1,"row":{"n":3}}'
if [ "$(cat out.txt)" != "$expected" ]; then
  echo "FAIL: output differs:" >&2; diff <(echo "$expected") out.txt >&2; exit 1
fi
echo "ok live stream: 2 files picked up as they appeared, clean exit on SIGINT"
