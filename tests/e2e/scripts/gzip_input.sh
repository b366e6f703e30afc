#!/usr/bin/env bash
# Files ending in .gz are decompressed on the fly, as Spark reads them:
# - gzipped lab tweets give the lang count the plain files give, each .gz
#   one unit however small max_partition_bytes is (a gzip stream cannot be
#   entered midway), on 2 threads;
# - a file of several gzip members (cat a.gz b.gz) is read whole;
# - fail_fast names the line of a .gz file past its first 1 MiB piece
#   (the error path reads the stream again from its start to count);
# - a .gz cut short, and one that is not gzip at all, fail naming the file.
# Usage: gzip_input.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-gzip.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }

"$sluice" gen tweets plain --files 3 --rows 400 --seed 9 >/dev/null
mkdir gz
for f in plain/*.json; do gzip -c "$f" >"gz/$(basename "$f").gz"; done
cat >count.conf <<'CONF'
runtime = { trigger = "available_now"; threads = 2; };
stages = (
  { name = "tweets"; source = "file"; path = "plain"; schema = "data STRUCT<lang: STRING>";
    max_partition_bytes = 4096; },
  { name = "n"; input = "tweets"; group_by = ["data.lang AS lang"]; aggregate = ["count(*) AS count"]; },
  { name = "out"; input = "n"; sink = "console"; output_mode = "complete"; format = "jsonl"; }
);
CONF
"$sluice" run count.conf 2>err.txt | sort >plain.txt || fail "plain files"
SLUICE_LOG=debug "$sluice" run count.conf --set tweets.path=gz 2>err.txt | grep -v '^sluice' | sort >gz.txt ||
  fail "gzipped files"
[ -s plain.txt ] && diff -u plain.txt gz.txt >&2 || fail "gzipped files count differently"
grep -q "batch 0: 3 units" err.txt || fail "a .gz file was cut: $(grep units err.txt)"

# Members one after the other.
mkdir multi
printf '{"n":1}\n{"n":2}\n' | gzip -c >multi/m.json.gz
printf '{"n":3}\n' | gzip -c >>multi/m.json.gz
cat >n.conf <<'CONF'
runtime = { trigger = "available_now"; };
stages = (
  { name = "in"; source = "file"; path = "multi"; schema = "n LONG"; mode = "fail_fast"; },
  { name = "s"; input = "in"; aggregate = ["count(*) AS rows", "sum(n) AS total"]; },
  { name = "out"; input = "s"; sink = "console"; output_mode = "complete"; format = "jsonl"; }
);
CONF
"$sluice" run n.conf >out.txt 2>err.txt || fail "several members"
grep -q '"row":{"rows":3,"total":6}' out.txt || fail "several members: $(cat out.txt)"

# A malformed line 60,001 (past the first 1 MiB piece), named by its line.
mkdir bad
python3 -c '
import sys
for i in range(60000): sys.stdout.write("{\"n\":%d,\"pad\":\"%s\"}\n" % (i, "x" * 20))
sys.stdout.write("{\"n\": oops}\n")' | gzip -c >bad/b.json.gz
status=0
"$sluice" run n.conf --set in.path=bad >out.txt 2>err.txt || status=$?
[ "$status" = 1 ] || fail "fail_fast in a .gz: exit status $status"
grep -q "bad/b.json.gz:60001" err.txt || fail "fail_fast did not name line 60001 of the .gz"

# Cut short, and not gzip.
mkdir cut notgz
head -c 300 gz/part-00000.json.gz >cut/c.json.gz
printf '{"n":1}\n' >notgz/x.json.gz
status=0
"$sluice" run n.conf --set in.path=cut >out.txt 2>err.txt || status=$?
[ "$status" = 1 ] && grep -q "cannot decompress 'cut/c.json.gz' at byte .*: the file ends inside its gzip stream" err.txt ||
  fail "a cut .gz: exit $status"
status=0
"$sluice" run n.conf --set in.path=notgz >out.txt 2>err.txt || status=$?
[ "$status" = 1 ] && grep -q "cannot decompress 'notgz/x.json.gz' at byte 0 of its data: incorrect header check" err.txt ||
  fail "a .gz that is not gzip: exit $status"
echo "gzip: .gz files inflated on the fly, one unit each, members in turn, lines named, damage reported"
