#!/usr/bin/env bash
# Stream-stream joins on the real binary, against a model in Python.
# 1. Impressions and clicks of ads, eight files each read one per batch,
#    both watermarked (10 s), joined on the ad and a time range (the click
#    within a minute after the impression), with a late click and rows of
#    null ads: for inner, left_outer, right_outer, full_outer and
#    left_semi, the rows equal the model's, which knows nothing of buffers:
#    every pair that meets the condition among rows that were not late (a
#    row is late when its time is at or below the watermark its batch ran
#    with), and as outer rows the unmatched rows that the final watermark
#    passed by the side's bound (left: it <= W - 1 minute; right: ct <= W).
# 2. The full_outer run killed with SIGKILL at every point of a batch and
#    restarted each time commits what one uninterrupted run commits, batch
#    for batch: buffered rows and their matches survive in the checkpoint.
# 3. `sluice check`: each side's bound, each source reading only what the
#    join and the select after it use.
# 4. Spark's refusals, exit 2, naming file, line, stage and key.
# Usage: join_stream_stream.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-sjoin.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$(dirname "$0")/../lib.sh"

python3 - <<'PY'
import json, os, random
random.seed(7)
T0 = 1609459200  # 2021-01-01T00:00:00Z
def ts(s): return f"2021-01-01T{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}Z"
os.makedirs("imp"); os.makedirs("clk")
imps, clks = [[] for _ in range(8)], [[] for _ in range(8)]
for k in range(8):
    for r in range(12):
        t = k * 120 + r * 10 + random.randint(0, 9)
        ad = random.choice([None] + list(range(1, 9))) if r % 6 == 0 else random.randint(1, 8)
        imps[k].append({"ad": ad, "it": ts(t), "who": f"i{k}_{r}"})
        if random.random() < 0.6:  # a click some seconds after, within the minute or not
            ct = t + random.randint(0, 80)
            if ct // 120 < 8: clks[ct // 120].append({"ad": ad if random.random() < 0.9 else random.randint(1, 8), "ct": ts(ct)})
    for r in range(3):  # clicks of no impression in particular
        clks[k].append({"ad": random.choice([None, random.randint(1, 8)]), "ct": ts(k * 120 + random.randint(0, 119))})
clks[5].append({"ad": imps[0][1]["ad"] or 1, "ct": ts(15)})  # far behind the watermark: late
for k in range(8):
    clks[k].sort(key=lambda c: c["ct"])
    for i, c in enumerate(clks[k]): c["n"] = k * 100 + i
    with open(f"imp/{k}.json", "w") as f: f.writelines(json.dumps(r) + "\n" for r in imps[k])
    with open(f"clk/{k}.json", "w") as f: f.writelines(json.dumps(r) + "\n" for r in clks[k])
PY

cat > join.conf <<'CONF'
name = "ads";
runtime = { trigger = "available_now"; checkpoint = "ckpt"; threads = 2; };
stages = (
  { name = "imp"; source = "file"; path = "imp"; schema = "ad LONG, it TIMESTAMP, who STRING";
    max_files_per_trigger = 1; watermark = { column = "it"; delay = "10 seconds"; }; },
  { name = "clk"; source = "file"; path = "clk"; schema = "ad LONG, ct TIMESTAMP, n LONG";
    max_files_per_trigger = 1; watermark = { column = "ct"; delay = "10 seconds"; }; },
  { name = "j"; input = "imp";
    join = { with = "clk"; type = "inner";
             on = "ad = clk.ad AND clk.ct >= imp.it AND clk.ct <= imp.it + INTERVAL 1 MINUTE"; }; },
  { name = "out"; input = "j"; sink = "file"; path = "out"; }
);
CONF

# ---- 1. every join type against the model ------------------------------------
for type in inner left_outer right_outer full_outer left_semi; do
  "$sluice" run join.conf --set "j.join.type=$type" --set "runtime.checkpoint=ck_$type" --set "out.path=out_$type" \
    -q 2>err.txt || fail "$type: run"
  "$sluice" cat "out_$type" >"got_$type.txt"
done
python3 - <<'PY' || fail "the joins differ from the model"
import collections, datetime, json
def t(s): return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())
files = {d: [[json.loads(l) for l in open(f"{d}/{k}.json")] for k in range(8)] for d in ("imp", "clk")}
col = {"imp": "it", "clk": "ct"}
# The watermark batch b runs with: the least, over the sides, of the latest
# time read before it, less the delay (none before both have read a row).
late, seen, wm = set(), {"imp": None, "clk": None}, None
kept = {"imp": [], "clk": []}
for b in range(8):
    for d in ("imp", "clk"):
        for r in files[d][b]:
            if wm is not None and t(r[col[d]]) <= wm: late.add((d, json.dumps(r))); continue
            kept[d].append(r)
    for d in ("imp", "clk"):
        m = max(t(r[col[d]]) for r in files[d][b])
        seen[d] = m if seen[d] is None else max(seen[d], m)
    wm = min(seen.values()) - 10
assert len(late) == 1, f"the model expects exactly the one late click, got {late}"
final = wm
pairs = [(i, c) for i in kept["imp"] for c in kept["clk"]
         if i["ad"] is not None and i["ad"] == c["ad"] and t(i["it"]) <= t(c["ct"]) <= t(i["it"]) + 60]
def row(i, c):
    o = {"ad": None, "it": None, "who": None, "clk.ad": None, "ct": None, "n": None}
    if i: o.update(ad=i["ad"], it=i["it"].replace("Z", ".000Z"), who=i["who"])
    if c: o.update({"clk.ad": c["ad"], "ct": c["ct"].replace("Z", ".000Z"), "n": c["n"]})
    return json.dumps(o, separators=(",", ":"))
matched_i = {id(i) for i, _ in pairs}; matched_c = {id(c) for _, c in pairs}
outer_i = [row(i, None) for i in kept["imp"] if id(i) not in matched_i and t(i["it"]) <= final - 60]
outer_c = [row(None, c) for c in kept["clk"] if id(c) not in matched_c and t(c["ct"]) <= final]
inner = [row(i, c) for i, c in pairs]
want = {"inner": inner, "left_outer": inner + outer_i, "right_outer": inner + outer_c,
        "full_outer": inner + outer_i + outer_c,
        "left_semi": [json.dumps({"ad": i["ad"], "it": i["it"].replace("Z", ".000Z"), "who": i["who"]}, separators=(",", ":"))
                      for i in kept["imp"] if id(i) in matched_i]}
for k, rows in want.items():
    got = [l.rstrip("\n") for l in open(f"got_{k}.txt")]
    w, g = collections.Counter(rows), collections.Counter(got)
    assert w == g, f"{k}: want {len(rows)} rows, got {len(got)}; missing {list((w - g).elements())[:3]}, extra {list((g - w).elements())[:3]}"
assert len(inner) > 20 and len(outer_i) > 5 and len(outer_c) > 5, (len(inner), len(outer_i), len(outer_c))
assert any(json.loads(r)["ad"] is None for r in outer_i) and any(json.loads(r)["clk.ad"] is None for r in outer_c), \
    "null ads should come out as outer rows"
print(f"ok: {len(inner)} pairs, {len(outer_i)} + {len(outer_c)} outer rows, {len(want['left_semi'])} semi rows")
PY

# ---- 2. kill -9 at every point of a batch --------------------------------------
sed 's/type = "inner"/type = "full_outer"/' join.conf >full.conf
for at in plan:1 batch:2 sink:3 state:4 commit:5 batch:8; do crash_run "$at" full.conf; done
"$sluice" run full.conf -q 2>err.txt || fail "the last run after the kills"
"$sluice" cat out >got.txt
diff -u got_full_outer.txt got.txt >&2 || fail "committed output after kills differs from one uninterrupted run"
for b in $(seq 0 9); do
  cmp -s <("$sluice" cat out_full_outer --batch "$b" 2>/dev/null) <("$sluice" cat out --batch "$b" 2>/dev/null) \
    || fail "batch $b differs"
done
grep -qF '"j.join": "full_outer join with clk on ad = clk.ad' ckpt/metadata || fail "the fingerprint does not name the join"
# Progress: the join's buffer per batch, as Spark's symmetricHashJoin entry.
"$sluice" run join.conf --set runtime.checkpoint=ck_progress --set out.path=out_progress \
  --set runtime.progress_log=progress.jsonl -q 2>err.txt || fail "run with a progress log"
python3 - <<'PY' || fail "the progress records do not account for the join's buffer"
import json
recs = [json.loads(l) for l in open("progress.jsonl")]
ops = [r["stateOperators"] for r in recs]
assert all(len(o) == 1 and o[0]["operatorName"] == "symmetricHashJoin" and o[0]["stage"] == "j" for o in ops), ops[0]
assert max(o[0]["numRowsTotal"] for o in ops) > 20 and sum(o[0]["numRowsRemoved"] for o in ops) > 50
assert sum(o[0]["numRowsDroppedByWatermark"] for o in ops) == 1, "one late click"
PY

# ---- 3. the plan ---------------------------------------------------------------
sed 's/{ name = "out"; input = "j";/{ name = "p"; input = "j"; transform = "select"; columns = ["who", "n"]; },\n  { name = "out"; input = "p";/' \
  join.conf | sed "s/path = \"out\"/path = \"out_proj\"/; s/\"ckpt\"/\"ck_proj\"/" >proj.conf
"$sluice" check proj.conf >plan.txt 2>err.txt || fail "check proj.conf"
grep -qF "left rows (imp): kept until it <= watermark - 1 minute" plan.txt || fail "check: the left bound"
grep -qF "right rows (clk): kept until ct <= watermark" plan.txt || fail "check: the right bound"
[ "$(grep -c 'reads columns: ad, it, who$' plan.txt)" = 1 ] && [ "$(grep -c 'reads columns: ad, ct, n$' plan.txt)" = 1 ] \
  || fail "each source should read what the join and the select use: $(grep reads plan.txt)"
"$sluice" check join.conf --set 'j.join.on=ad = clk.ad' >/dev/null 2>err.txt || fail "an unbounded inner join runs"
grep -qF "the join keeps every left row (imp) for ever" err.txt || fail "check should say the state is unbounded"

# ---- 4. refusals ---------------------------------------------------------------
expect2 "Join between two streaming DataFrames/Datasets is not supported in Update output mode, only in Append output mode" \
  join.conf --set out.output_mode=update
expect2 "Stream-stream LeftOuter join between two streaming DataFrame/Datasets is not supported without a watermark in the join keys, or a watermark on the right side and an appropriate range condition" \
  join.conf --set j.join.type=left_outer --set 'j.join.on=ad = clk.ad'
grep -qF "join.conf:9: stage 'j': key 'join'" err.txt || fail "the error does not point at the join"
expect2 "Stream-stream FullOuter join" join.conf --set j.join.type=full_outer --set 'j.join.on=ad = clk.ad AND clk.ct >= imp.it'
expect2 "Stream-stream join without equality predicate is not supported" join.conf --set 'j.join.on=clk.ct >= imp.it'
expect2 "LeftAnti join between two streaming DataFrames/Datasets is not supported" join.conf --set j.join.type=left_anti
expect2 "'n + 1' is not a condition: it gives long" join.conf --set 'j.join.on=ad = clk.ad AND n + 1'
expect2 "stage 'j' joins two streams, and the members of a group share the keyed state of aggregations only" \
  join.conf --set runtime.group=ads --set 'runtime.trigger=1 second'
echo ok
