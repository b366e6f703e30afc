#!/usr/bin/env bash
# Partition discovery and glob levels in `path`, on the real binary, with
# expected rows worked out by hand:
# - key=value directories become the columns the schema names (typed as
#   the schema says) or partition_columns lists (typed as Spark infers:
#   2021-05-03 stays text, 1 and 2.5 widen to double, the Hive default
#   partition is null, %3A is ':'), after the data columns, in directory
#   order; other subdirectories are not read;
# - a file added to a new partition between two runs is read once;
# - a file beside the partitions is a conflicting structure (exit 1);
# - `data/*/logs-*.json` reads only files at that depth that match.
# Usage: file_partitions_and_globs.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-partitions.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }

put() { mkdir -p "$(dirname "$1")"; printf '%s\n' "$2" >"$1"; }
put in/day=2021-05-03/hour=07/a.json '{"n":1}'
put in/day=2021-05-03/hour=08/b.json '{"n":2}'
put in/day=2021-05-04/hour=07/c.json '{"n":3}'
put in/day=2021-05-04/hour=07/.d.json '{"n":99}'   # hidden: never read
put in/day=2021-05-04/notes/e.json '{"n":98}'     # not a partition: not read
cat >pipeline.conf <<'CONF'
name = "partitions";
runtime = { trigger = "available_now"; checkpoint = "ckpt"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "hour LONG, n LONG"; partition_columns = ["day"]; },
  { name = "out"; input = "rows"; sink = "file"; path = "out"; }
);
CONF
"$sluice" run pipeline.conf 2>err.txt || fail "first run"
want='{"n":1,"day":"2021-05-03","hour":7}
{"n":2,"day":"2021-05-03","hour":8}
{"n":3,"day":"2021-05-04","hour":7}'
[ "$("$sluice" cat out)" = "$want" ] || fail "first run read: $("$sluice" cat out)"

# A new partition between runs: read once, old files not again.
put in/day=2021-05-05/hour=09/f.json '{"n":4}'
"$sluice" run pipeline.conf 2>err.txt || fail "second run"
want="$want
{\"n\":4,\"day\":\"2021-05-05\",\"hour\":9}"
[ "$("$sluice" cat out)" = "$want" ] || fail "second run read: $("$sluice" cat out)"
"$sluice" run pipeline.conf 2>err.txt || fail "third run"
[ "$("$sluice" cat out | wc -l)" = 4 ] || fail "a run with nothing new read rows again"

# A file beside the partitions: no value for day or hour; Spark refuses it too.
put in/day=2021-05-05/g.json '{"n":5}'
status=0
"$sluice" run pipeline.conf 2>err.txt || status=$?
[ "$status" = 1 ] || fail "a conflicting structure: exit $status, expected 1"
grep -qF "conflicting directory structures under 'in': 'day=2021-05-05/g.json' is under partition keys (day/)" err.txt \
  || fail "the conflict is not named"
rm in/day=2021-05-05/g.json

# Inference: 1 and 2.5 widen to double; the Hive default is null; %3A is ':'.
put typed/v=1/k=a%3Ab/a.json '{"n":1}'
put typed/v=2.5/k=c/b.json '{"n":2}'
put typed/v=__HIVE_DEFAULT_PARTITION__/k=d/c.json '{"n":3}'
cat >typed.conf <<'CONF'
name = "typed";
runtime = { trigger = "available_now"; };
stages = (
  { name = "rows"; source = "file"; path = "typed"; schema = "n LONG"; partition_columns = ["k", "v"]; },
  { name = "out"; input = "rows"; sink = "console"; format = "jsonl"; }
);
CONF
"$sluice" run typed.conf >out.txt 2>err.txt || fail "typed run"
want='{"n":1,"v":1.0,"k":"a:b"}
{"n":2,"v":2.5,"k":"c"}
{"n":3,"v":null,"k":"d"}'
got=$(sed 's/^{"batch_id":0,"row":\(.*\)}$/\1/' out.txt | sort)
[ "$got" = "$want" ] || fail "typed read: $got"
"$sluice" check typed.conf >check.txt 2>err.txt || fail "check typed"

# Without partition columns the files in partitions are still read, as Spark does.
sed 's/ partition_columns = \["k", "v"\];//' typed.conf >plain.conf
"$sluice" run plain.conf >out.txt 2>err.txt || fail "plain run"
[ "$(sed 's/^{"batch_id":0,"row":\(.*\)}$/\1/' out.txt | sort | tr '\n' ' ')" = '{"n":1} {"n":2} {"n":3} ' ] \
  || fail "plain read: $(cat out.txt)"

# Glob levels: only files at the pattern's depth that match it.
put logs/a/logs-1.json '{"n":1}'
put logs/b/logs-2.json '{"n":2}'
put logs/b/other.json '{"n":90}'
put logs/logs-3.json '{"n":91}'
put logs/c/d/logs-4.json '{"n":92}'
put logs/.e/logs-5.json '{"n":93}'
cat >glob.conf <<'CONF'
name = "glob";
runtime = { trigger = "available_now"; checkpoint = "ckpt_glob"; };
stages = (
  { name = "rows"; source = "file"; path = "logs/*/logs-*.json"; schema = "n LONG"; },
  { name = "out"; input = "rows"; sink = "file"; path = "out_glob"; }
);
CONF
"$sluice" run glob.conf 2>err.txt || fail "glob run"
[ "$("$sluice" cat out_glob | tr '\n' ' ')" = '{"n":1} {"n":2} ' ] || fail "glob read: $("$sluice" cat out_glob)"
put logs/f/logs-6.json '{"n":6}'
"$sluice" run glob.conf 2>err.txt || fail "glob second run"
[ "$("$sluice" cat out_glob | tr '\n' ' ')" = '{"n":1} {"n":2} {"n":6} ' ] || fail "glob second read: $("$sluice" cat out_glob)"

echo "ok partitions become columns, typed as declared or inferred; glob levels read what they match, once"
