#!/usr/bin/env bash
# DECIMAL(p,s) on the real binary, against Python's decimal module (ROUND_HALF_UP):
# 1. JSON numbers and strings read into DECIMAL(10,2) (rounded half up; too
#    many digits a bad value, counted malformed), expressions of Spark's
#    result types (amt * qty, amt / 3, a cast) written as JSON and CSV with
#    every digit of their scale.
# 2. sum, avg, min, max and count(DISTINCT) per key over two runs (the
#    state through the checkpoint), avg by Spark's rule: the exact sum over
#    the count at scale 20, rounded, then rounded to s + 4.
# 3. Join keys of two scales (1.50 and 1.5) meet, as Spark compares them.
# 4. The schema as Spark prints it, and a bad precision refused (exit 2).
# Usage: decimals.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-decimal.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$(dirname "$0")/../lib.sh"

python3 - <<'PY'
import json, os, random
random.seed(11)
os.makedirs("in")
for f in range(3):
    with open(f"in/{f}.json", "w") as out:
        for r in range(80):
            cents = random.randint(-500000, 5000000)
            digits = random.choice([0, 1, 2, 3, 4])
            text = f"{cents / 100:.{digits}f}" if random.random() < 0.9 else str(random.randint(-9, 99))
            amt = text if random.random() < 0.3 else json.loads(text)   # a JSON string or number
            if r == 7 and f == 1: amt = "123456789.99"               # 9 integer digits: too many for (10,2)
            if r == 9: amt = None
            out.write(json.dumps({"k": random.choice("abcde"), "amt": amt, "qty": random.randint(0, 40)}) + "\n")
PY
mkdir -p stream && cp in/0.json in/1.json stream/

cat > rows.conf <<'CONF'
runtime = { trigger = "available_now"; checkpoint = "ck_rows"; };
stages = (
  { name = "s"; source = "file"; path = "in"; schema = "k STRING, amt DECIMAL(10,2), qty BIGINT"; },
  { name = "x"; input = "s"; transform = "select";
    columns = ["k", "amt", "amt * qty AS total", "amt / 3 AS third", "CAST(amt AS DECIMAL(6,1)) AS narrow",
               "amt > 100.5 AS big"]; },
  { name = "out"; input = "x"; sink = "file"; path = "rows"; format = "json"; }
);
CONF
"$sluice" run rows.conf 2>err.txt || fail "rows: run"
grep -q "malformed" err.txt || fail "the value of too many digits should be counted malformed"
"$sluice" run rows.conf --set out.format=csv --set out.path=rows_csv --set runtime.checkpoint=ck_csv 2>err.txt \
  || fail "rows: csv run"
python3 - <<'PY' || fail "rows differ from Python's decimal"
import glob, json
from decimal import Decimal, ROUND_HALF_UP, localcontext
def q(d, scale): return d.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
def fits(d, p): return d is not None and abs(d) < Decimal(10) ** (p - max(0, -d.as_tuple().exponent))
def fit(d, p, s):
    if d is None: return None
    d = q(d, s)
    return d if abs(d) < Decimal(10) ** (p - s) else None
want = []
for f in range(3):
    for line in open(f"in/{f}.json"):
        o = json.loads(line)
        a = None if o["amt"] is None else fit(Decimal(str(o["amt"])), 10, 2)
        with localcontext() as c:
            c.prec = 80
            total = None if a is None else fit(a * o["qty"], 31, 2)
            third = None if a is None else fit(a / 3, 14, 6)
            narrow = None if a is None else fit(a, 6, 1)
        want.append([o["k"], a, total, third, narrow, None if a is None else a > Decimal("100.5")])
got = []
for p in sorted(glob.glob("rows/*.json")):
    for line in open(p):
        o = json.loads(line, parse_float=Decimal, parse_int=Decimal)
        got.append([o["k"], o["amt"], o["total"], o["third"], o["narrow"], o["big"]])
def text(rows): return [[x if not isinstance(x, Decimal) else str(x) for x in r] for r in rows]
assert text(got) == text(want), next((w, g) for w, g in zip(text(want), text(got)) if w != g)
csv = [l.rstrip("\n").split(",") for p in sorted(glob.glob("rows_csv/*.csv")) for l in open(p)]
wcsv = [["" if x is None else ("true" if x is True else "false" if x is False else str(x)) for x in r] for r in want]
assert csv == wcsv, next((w, g) for w, g in zip(wcsv, csv) if w != g)
print(f"ok: {len(got)} rows, {sum(r[1] is None for r in want)} null amounts")
PY

# ---- 2. aggregations, through a restart ------------------------------------
cat > agg.conf <<'CONF'
runtime = { trigger = "available_now"; checkpoint = "ck_agg"; };
stages = (
  { name = "s"; source = "file"; path = "stream"; schema = "k STRING, amt DECIMAL(10,2), qty BIGINT"; },
  { name = "g"; input = "s"; group_by = ["k"];
    aggregate = ["sum(amt) AS total", "avg(amt) AS mean", "min(amt) AS lo", "max(amt) AS hi",
                 "count(DISTINCT amt) AS distinct_amt"]; },
  { name = "out"; input = "g"; sink = "console"; format = "jsonl"; output_mode = "complete"; }
);
CONF
"$sluice" run agg.conf -q >first.txt 2>err.txt || fail "agg: first run"
cp in/2.json stream/
"$sluice" run agg.conf -q >second.txt 2>err.txt || fail "agg: second run"
"$sluice" check agg.conf >plan.txt 2>err.txt || fail "agg: check"
grep -qF "|-- mean: decimal(14,6) (nullable = true)" plan.txt && grep -qF "|-- total: decimal(20,2)" plan.txt \
  || fail "sum and avg of decimal(10,2) should be decimal(20,2) and decimal(14,6)"
python3 - <<'PY' || fail "aggregations differ from Python's decimal"
import collections, json
from decimal import Decimal, ROUND_HALF_UP, localcontext
def q(d, scale): return d.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
vals = collections.defaultdict(list)
for f in range(3):
    for line in open(f"in/{f}.json"):
        o = json.loads(line)
        a = None if o["amt"] is None else q(Decimal(str(o["amt"])), 2)
        if a is not None and abs(a) >= Decimal(10) ** 8: a = None
        vals[o["k"]].append(a)
got = {}
for line in open("second.txt"):
    o = json.loads(line, parse_float=Decimal, parse_int=Decimal)["row"]
    got[o["k"]] = o
for k, vs in vals.items():
    xs = [v for v in vs if v is not None]
    with localcontext() as c:
        c.prec = 80
        mean = q(q(sum(xs) / len(xs), 20), 6) if xs else None
    want = {"total": sum(xs) if xs else None, "mean": mean, "lo": min(xs), "hi": max(xs), "distinct_amt": len(set(xs))}
    for f, w in want.items():
        assert str(got[k][f]) == str(w), (k, f, got[k][f], w)
print(f"ok: {len(got)} keys")
PY

# ---- 3. join keys of two scales meet as the wider decimal ---------------------
mkdir -p jt js && printf 'id,name\n1.5,x\n2,y\n' >jt/t.csv && printf '{"p":1.50}\n{"p":"2"}\n{"p":3}\n' >js/1.json
cat > join.conf <<'CONF'
runtime = { trigger = "available_now"; };
stages = (
  { name = "t"; source = "file"; static = true; path = "jt"; format = "csv"; header = true;
    schema = "id DECIMAL(3,1), name STRING"; },
  { name = "s"; source = "file"; path = "js"; schema = "p DECIMAL(6,2)"; },
  { name = "j"; input = "s"; join = { with = "t"; on = "p = t.id"; type = "left_outer"; }; },
  { name = "out"; input = "j"; sink = "console"; format = "jsonl"; }
);
CONF
"$sluice" run join.conf -q >join.txt 2>err.txt || fail "join on decimals"
cat >want.txt <<'ROWS'
{"batch_id":0,"row":{"p":1.50,"id":1.5,"name":"x"}}
{"batch_id":0,"row":{"p":2.00,"id":2.0,"name":"y"}}
{"batch_id":0,"row":{"p":3.00,"id":null,"name":null}}
ROWS
diff -u want.txt join.txt >&2 || fail "decimal join keys of two scales should meet"

# ---- 4. the schema and a refusal ---------------------------------------------
"$sluice" schema show "a DECIMAL(38,38), b DEC, c NUMERIC(5)" >tree.txt || fail "schema show"
grep -qF " |-- a: decimal(38,38) (nullable = true)" tree.txt && grep -qF " |-- b: decimal(10,0)" tree.txt \
  || fail "the tree should name decimals as Spark does"
expect2 "Decimal precision 39 exceeds max precision 38" rows.conf --set 's.schema=k STRING, amt DECIMAL(39,2), qty BIGINT'
echo "ok decimals: readers, expressions, writers and aggregations match Python's decimal"
