#!/usr/bin/env bash
# Partition discovery and glob levels on the s3 source, against fake_s3.py
# (every request's SigV4 signature checked): subfolders are listed as
# common prefixes (prefix + delimiter), key=value folders become the
# columns the schema names, and `s3://bkt/logs/*/logs-*.json` reads only
# the matching keys one folder down. Rows worked out by hand.
# Usage: s3_partitions.sh SLUICE SOURCE_DIR
source "$(dirname "$0")/lib.sh" "$1"
start_fake
export AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=SECRETTEST
mkdir -p "fake/bkt/in/day=2021-05-03" "fake/bkt/in/day=2021-05-04" fake/bkt/in/notes fake/bkt/logs/a fake/bkt/logs/b
printf '{"n":1}\n' >"fake/bkt/in/day=2021-05-03/a.json"
printf '{"n":2}\n{"n":3}\n' >"fake/bkt/in/day=2021-05-04/b.json"
printf '{"n":99}\n' >fake/bkt/in/notes/c.json
printf '{"n":4}\n' >fake/bkt/logs/a/logs-1.json
printf '{"n":98}\n' >fake/bkt/logs/b/other.json
cat >p.conf <<CONF
runtime = { trigger = "available_now"; checkpoint = "ckpt"; };
stages = (
  { name = "in"; source = "s3"; path = "s3://bkt/in/"; endpoint = "$FAKE"; schema = "day STRING, n LONG"; },
  { name = "out"; input = "in"; sink = "file"; path = "out"; }
);
CONF
"$SLUICE" run p.conf 2>err.txt || fail "partition run"
want='{"n":1,"day":"2021-05-03"} {"n":2,"day":"2021-05-04"} {"n":3,"day":"2021-05-04"} '
[ "$("$SLUICE" cat out | tr '\n' ' ')" = "$want" ] || fail "rows: $("$SLUICE" cat out)"

mkdir -p "fake/bkt/in/day=2021-05-05"
printf '{"n":5}\n' >"fake/bkt/in/day=2021-05-05/d.json"
"$SLUICE" run p.conf 2>err.txt || fail "second run"
[ "$("$SLUICE" cat out | tr '\n' ' ')" = "$want"'{"n":5,"day":"2021-05-05"} ' ] || fail "rows: $("$SLUICE" cat out)"

"$SLUICE" run p.conf --set 'in.path=s3://bkt/logs/*/logs-*.json' --set in.schema='n LONG' \
  --set runtime.checkpoint=ckpt2 --set out.path=out2 2>err.txt || fail "glob run"
[ "$("$SLUICE" cat out2 | tr '\n' ' ')" = '{"n":4} ' ] || fail "glob rows: $("$SLUICE" cat out2)"
echo "ok s3 partitions and globs: folders listed by prefix, key=value folders as columns, globs matched"
