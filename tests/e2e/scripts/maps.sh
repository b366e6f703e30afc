#!/usr/bin/env bash
# MAP on the real binary, against Python over the same JSON: objects read as
# maps (key order kept, a value of the wrong type making the map null and
# the line counted malformed), m['k'], m.k, element_at, size, map_keys, map_values, to_json, an
# exploded map summed per key, and the file sink writing maps that `sluice
# cat` reads back. Config errors for what Spark refuses: a map as a
# grouping key, a map in CSV.
# Usage: maps.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-maps.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$(dirname "$0")/../lib.sh"

python3 - <<'PY'
import json, os, random
random.seed(9)
os.makedirs("in")
with open("in/rows.json", "w") as out:
    for i in range(300):
        counts = {k: random.randint(-5, 50) for k in random.sample("abcdefg", random.randint(0, 4))}
        if random.random() < 0.1: counts = None
        if i % 97 == 5: counts = {"bad": "x", "a": 1}  # not a long: the map is null, the line malformed
        row = {"id": i, "counts": counts, "tag": random.choice("abcdefgh")}
        out.write(json.dumps(row, separators=(",", ":")) + "\n")
PY
cat > maps.conf <<'CONF'
runtime = { trigger = "available_now"; checkpoint = "ckpt"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "id LONG, counts MAP<STRING, BIGINT>, tag STRING"; },
  { name = "p"; input = "rows"; transform = "select";
    columns = ["id", "counts['a'] AS a", "counts.b", "element_at(counts, tag) AS by_tag", "size(counts) AS n",
               "map_keys(counts) AS keys", "map_values(counts) AS vals", "to_json(counts) AS json", "counts"]; },
  { name = "out"; input = "p"; sink = "file"; path = "out"; }
);
CONF
"$sluice" run maps.conf 2>err.txt || fail "run"
grep -q "malformed" err.txt || fail "a map with a bad value was not counted as malformed"
"$sluice" cat out >got.txt 2>err.txt || fail "cat"
python3 - <<'PY' || fail "map values differ from Python's"
import json
rows = [json.loads(l) for l in open("in/rows.json")]
got = [json.loads(l) for l in open("got.txt")]
assert len(got) == len(rows), (len(got), len(rows))
bad = 0
for r, g in zip(rows, got):
    m = r["counts"]
    if m is not None and any(not isinstance(v, int) for v in m.values()):
        m, bad = None, bad + 1
    assert g["id"] == r["id"]
    assert g["a"] == (m.get("a") if m else None), (r, g)
    assert g["b"] == (m.get("b") if m else None), (r, g)  # counts.b: Spark's dot access, named b
    assert g["by_tag"] == (m.get(r["tag"]) if m else None), (r, g)
    assert g["n"] == (len(m) if m is not None else -1), (r, g)
    assert g["keys"] == (list(m) if m is not None else None), (r, g)
    assert g["vals"] == (list(m.values()) if m is not None else None), (r, g)
    assert g["json"] == (json.dumps(m, separators=(",", ":")) if m is not None else None), (r, g)
    assert g["counts"] == m, (r, g)
assert bad == 4, bad
print(f"ok: {len(got)} rows")
PY

# Exploded and summed per key.
cat > sums.conf <<'CONF'
runtime = { trigger = "available_now"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "id LONG, counts MAP<STRING, BIGINT>, tag STRING"; },
  { name = "e"; input = "rows"; transform = "explode"; column = "counts"; key_alias = "k"; },
  { name = "s"; input = "e"; group_by = ["k"]; aggregate = ["sum(value) AS total", "count(*) AS n"]; },
  { name = "out"; input = "s"; sink = "console"; output_mode = "complete"; }
);
CONF
"$sluice" run sums.conf -q 2>err.txt | tr -d ' ' | grep '^|[a-g]|' | sort >got.txt || fail "run sums"
python3 - <<'PY' >want.txt
import collections, json
tot, n = collections.Counter(), collections.Counter()
for l in open("in/rows.json"):
    m = json.loads(l)["counts"] or {}
    if any(not isinstance(v, int) for v in m.values()): continue
    for k, v in m.items(): tot[k] += v; n[k] += 1
for k in sorted(tot): print(f"|{k}|{tot[k]}|{n[k]}|")
PY
diff -u want.txt got.txt >&2 || fail "exploded sums differ"

expect2 "'counts' cannot be a grouping key: its type MAP<STRING, BIGINT> holds a map" sums.conf --set 's.group_by=["counts"]'
expect2 "csv column 'counts' is a map, but csv holds only flat columns" maps.conf --set rows.format=csv
expect2 "operator '=' cannot compare map values" maps.conf --set 'p.columns=["counts = counts"]'
"$sluice" schema show "m MAP<STRING, ARRAY<BIGINT>>" >tree.txt
printf '%s\n' root ' |-- m: map (nullable = true)' ' |    |-- key: string' \
  ' |    |-- value: array (valueContainsNull = true)' ' |    |    |-- element: long (containsNull = true)' >want.txt
diff -u want.txt tree.txt >&2 || fail "printSchema of a map differs from Spark's"
echo "ok maps: JSON objects as maps, lookups, keys, values, to_json, explode, file sink and cat, errors"
