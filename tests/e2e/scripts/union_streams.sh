#!/usr/bin/env bash
# union and union_by_name of two streams on the real binary.
# 1. Two tweet streams, each with its own watermark, unioned and counted
#    per 10 s window and language in append mode, checked against a count
#    in Python of every row of both: the windows that come out are exactly
#    those the least of the two watermarks closed (Spark's default
#    multipleWatermarkPolicy), with every row of both in them. Then the same
#    run killed with SIGKILL at every point of a batch and restarted each
#    time must commit what one uninterrupted run commits, batch for batch.
# 2. union_by_name with allow_missing_columns, by hand: columns matched by
#    name, a missing one null, and each source asked only for what is read.
# 3. The layout: a union's sources are one query (one checkpoint), another
#    source a query of its own.
# 4. Config errors: exit 2, naming file, line, stage and what was expected.
# Usage: union_streams.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-union.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$(dirname "$0")/../lib.sh"
# ---- 1. windows over the union, through kill -9 ----------------------------
# a covers 180 s of event time, b 120 s from the same start: b holds the
# watermark back.
"$sluice" gen tweets a --files 6 --rows 200 --step-ms 150 --seed 1 >/dev/null
"$sluice" gen tweets b --files 4 --rows 200 --step-ms 150 --seed 2 >/dev/null
cat > windows.conf <<'CONF'
name = "union_windows";
runtime = { trigger = "available_now"; checkpoint = "ckpt"; threads = 2; };
stages = (
  { name = "a"; source = "file"; path = "a"; schema = "data STRUCT<created_at: TIMESTAMP, lang: STRING>";
    max_files_per_trigger = 1; watermark = { column = "data.created_at"; delay = "5 seconds"; }; },
  { name = "b"; source = "file"; path = "b"; schema = "data STRUCT<created_at: TIMESTAMP, lang: STRING>";
    max_files_per_trigger = 1; watermark = { column = "data.created_at"; delay = "5 seconds"; }; },
  { name = "both"; input = ["a", "b"]; transform = "union"; },
  { name = "counts"; input = "both"; window = { column = "data.created_at"; duration = "10 seconds"; };
    group_by = ["data.lang AS lang"]; aggregate = ["count(*) AS n"]; },
  { name = "out"; input = "counts"; sink = "file"; path = "out"; output_mode = "append"; }
);
CONF
"$sluice" run windows.conf --set runtime.checkpoint=ref_ckpt --set out.path=ref 2>err.txt || fail "reference run"
"$sluice" cat ref >ref.txt
python3 - <<'PY' || fail "the windows differ from a count of both streams"
import collections, datetime, glob, json
def ms(s): return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
rows = {d: [json.loads(l)["data"] for f in sorted(glob.glob(d + "/*.json")) for l in open(f)] for d in "ab"}
mark = min(max(ms(r["created_at"]) for r in rows[d]) for d in "ab") - 5000
want = collections.Counter()
for d in "ab":
    for r in rows[d]:
        start = ms(r["created_at"]) // 10000 * 10000
        if start + 10000 <= mark: want[(start, r["lang"])] += 1
got = collections.Counter()
for l in open("ref.txt"):
    o = json.loads(l)
    key = (ms(o["window"]["start"]), o["lang"])
    assert key not in got, f"window {key} came out twice"
    got[key] = o["n"]
assert want == got, f"want {len(want)} windows, got {len(got)}: {sorted(set(want.items()) ^ set(got.items()))[:5]}"
assert sum(want.values()) > 800, "too few rows in closed windows to test anything"
print(f"ok: {len(got)} windows, {sum(got.values())} rows of both streams")
PY
for at in plan:1 batch:2 sink:3 state:4 commit:5; do crash_run "$at" windows.conf; done
"$sluice" run windows.conf -q 2>err.txt || fail "the last run after the kills"
"$sluice" cat out >got.txt
diff -u ref.txt got.txt >&2 || fail "committed output after kills differs from one uninterrupted run"
for b in $(seq 0 6); do
  cmp -s <("$sluice" cat ref --batch "$b" 2>/dev/null) <("$sluice" cat out --batch "$b" 2>/dev/null) \
    || fail "batch $b differs"
done
[ ! -d ckpt/a ] && [ -d ckpt/offsets ] || fail "one query should keep its checkpoint at the root"
grep -qF '"sources": "a (file), b (file)"' ckpt/metadata || fail "the fingerprint does not name both sources"
# The saved windows were closed by both inputs' watermarks: a change to the
# second input's is a change to what the state means, refused.
status=0
"$sluice" run windows.conf --set 'a.schema=data STRUCT<created_at: TIMESTAMP, lang: STRING, t2: TIMESTAMP>' \
  --set 'b.schema=data STRUCT<created_at: TIMESTAMP, lang: STRING, t2: TIMESTAMP>' \
  --set b.watermark.column=data.t2 -q 2>err.txt || status=$?
[ "$status" = 2 ] && grep -qF 'counts.watermark changed from ["data.created_at","data.created_at"] to ["data.created_at","data.t2"]' err.txt \
  || fail "a changed watermark on the union's second input should be refused"

# ---- 2. union_by_name, by hand ---------------------------------------------
mkdir -p x y
printf '{"n":1,"s":"x1"}\n{"n":2,"s":"x2"}\n' >x/1.json
printf '{"s":"y1","n":10,"flag":true}\n' >y/1.json
cat > byname.conf <<'CONF'
runtime = { trigger = "available_now"; checkpoint = "ck_byname"; };
stages = (
  { name = "x"; source = "file"; path = "x"; schema = "n LONG, s STRING"; },
  { name = "y"; source = "file"; path = "y"; schema = "s STRING, n LONG, flag BOOLEAN"; },
  { name = "u"; input = ["x", "y"]; transform = "union_by_name"; allow_missing_columns = true; },
  { name = "out"; input = "u"; sink = "file"; path = "out_byname"; }
);
CONF
"$sluice" run byname.conf 2>err.txt || fail "union_by_name: first run"
printf '{"n":3,"s":"x3"}\n' >x/2.json
"$sluice" run byname.conf 2>err.txt || fail "union_by_name: second run"
"$sluice" cat out_byname >got.txt
cat >want.txt <<'ROWS'
{"n":1,"s":"x1","flag":null}
{"n":2,"s":"x2","flag":null}
{"n":10,"s":"y1","flag":true}
{"n":3,"s":"x3","flag":null}
ROWS
diff -u want.txt got.txt >&2 || fail "union_by_name: rows differ"
# Projection: a stage reading only n asks each source for n alone.
sed 's/{ name = "out"; input = "u";/{ name = "p"; input = "u"; transform = "select"; columns = ["n"]; },\n  { name = "out"; input = "p";/' \
  byname.conf | sed "s/out_byname/out_proj/; s/ck_byname/ck_proj/" >proj.conf
"$sluice" check proj.conf >plan.txt 2>err.txt || fail "check proj.conf"
[ "$(grep -c 'reads columns: n$' plan.txt)" = 2 ] || fail "each source should read n only: $(grep reads plan.txt)"
grep -qF "inputs: x, y" plan.txt || fail "check does not list the union's inputs"

# ---- 3. two queries: the union's sources and another ----------------------
mkdir -p z && printf '{"n":7}\n' >z/1.json
sed 's/ck_byname/ck_two/; s/out_byname/out_two/' byname.conf |
  sed 's/^);$/  , { name = "z"; source = "file"; path = "z"; schema = "n LONG"; },\n  { name = "zout"; input = "z"; sink = "file"; path = "out_z"; }\n);/' >two.conf
"$sluice" run two.conf 2>err.txt || fail "two queries"
[ -d ck_two/x/offsets ] && [ -d ck_two/z/offsets ] && [ ! -d ck_two/y ] || fail "expected one checkpoint per query: $(ls ck_two)"
[ "$("$sluice" cat out_two | wc -l)" = 4 ] && [ "$("$sluice" cat out_z)" = '{"n":7}' ] || fail "two queries: output"

# ---- 4. config errors ---------------------------------------------------------
sed 's/union_by_name"; allow_missing_columns = true;/union";/' byname.conf >bypos.conf
"$sluice" check windows.conf --set both.transform=union_all >/dev/null 2>err.txt || fail "union_all (Spark's unionAll) is union"
expect2 "UNION can only be performed on inputs with the same number of columns, but the first input ('x') has 2 columns and the second input ('y') has 3 columns" bypos.conf
grep -qF "bypos.conf:5: stage 'u': key 'input'" err.txt || fail "the error does not point at the union's input"
expect2 "The first column of the second input ('y') is \"STRING\" type which is not compatible with \"BIGINT\"" \
  bypos.conf --set 'y.schema=s STRING, n LONG'
expect2 "union_by_name: column \"flag\" of input 'y' is not a column of input 'x'" byname.conf --set u.allow_missing_columns=false
expect2 "allow_missing_columns = true" byname.conf --set u.allow_missing_columns=false
sed 's/input = \["x", "y"\]/input = "x"/' byname.conf >one.conf
expect2 "expected a list of two or more stage names such as [\"a\", \"b\"], got" one.conf
expect2 "unknown input stage 'q'" byname.conf --set 'u.input=["x", "q"]'
expect2 "unknown key 'allow_missing_columns'" bypos.conf --set u.allow_missing_columns=true
expect2 "expected the name of one stage" byname.conf --set 'out.input=["x", "y"]'
sed 's/"x", "y"/"x", "v"/; s/^);$/  , { name = "v"; input = "u"; transform = "select"; columns = ["n"]; }\n);/' byname.conf >cycle.conf
expect2 "the inputs form a cycle: stage 'u' -> 'v' -> 'u'" cycle.conf
sed 's/{ name = "both"; input = \["a", "b"\]; transform = "union"; },//; s/input = "both"; window/input = "a"; window/' \
  windows.conf | sed 's/^);$/  , { name = "u2"; input = ["counts", "b"]; transform = "union"; },\n  { name = "o2"; input = "u2"; sink = "console"; }\n);/' >aggunion.conf
expect2 "union 'u2' reads the result of aggregate stage 'counts'" aggunion.conf
echo "ok union: windows over two streams match a count of both, exactly once through kill -9; union_by_name by hand; errors"
