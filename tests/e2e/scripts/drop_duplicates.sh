#!/usr/bin/env bash
# drop_duplicates (Spark's dropDuplicates and dropDuplicatesWithinWatermark)
# on the real binary, against an independent simulation in Python of
# Spark's rules: batches of 3 files in name order, rows in file order; a
# batch's watermark is the one computed after the batch before it (max
# event time seen minus the delay, in whole ms); within a batch, keys the
# watermark expired go first, then each row is late (event time at or
# below the watermark: dropped), a duplicate of a key in the state
# (dropped) or new (kept, remembered). Each case runs on 2 threads, is
# stopped after 2 batches and restarted from its checkpoint, and must
# print every kept row exactly once, in order.
# Usage: drop_duplicates.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-dedup.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$(dirname "$0")/../lib.sh"

# 12 files of 40 rows: few authors and texts, so keys repeat; event times
# wander forwards and back by up to a minute (some late).
python3 - <<'PY'
import json, os, random
random.seed(7)
os.mkdir("in")
t = 1620028800000  # 2021-05-03T08:00:00Z, ms
for f in range(12):
    with open(f"in/part-{f:02d}.json", "w") as out:
        for r in range(40):
            t += random.randint(-20000, 25000)
            ts = t // 1000 * 1000
            row = {"author": random.choice("abcdef"), "text": random.choice(["hi", "covid", "yo"]),
                   "ts": f"{ts // 1000}", "n": f * 100 + r}
            row["ts"] = __import__("datetime").datetime.utcfromtimestamp(ts / 1000).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            out.write(json.dumps(row) + "\n")
PY

cat >simulate.py <<'PY'
import datetime, json, os, sys
mode, delay_ms = sys.argv[1], int(sys.argv[2])
def ms(s): return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.000Z").replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
files = sorted(os.listdir("in"))
state, wm, out = {}, None, []
for b in range(0, len(files), 3):
    rows = [json.loads(l) for f in files[b:b + 3] for l in open("in/" + f)]
    if wm is not None:
        state = {k: e for k, e in state.items() if e is None or e > wm}
    for r in rows:
        t = ms(r["ts"])
        timed = mode != "plain"
        if timed and wm is not None and t <= wm: continue
        key = {"event_key": (r["author"], r["ts"]), "all": tuple(r.values())}.get(mode, (r["author"], r["text"]))
        if key in state: continue
        state[key] = (t + delay_ms if mode == "within" else t) if timed else None
        out.append(r["n"])
    if mode != "plain":
        cand = max(ms(r["ts"]) for r in rows) - delay_ms
        wm = cand if wm is None or cand > wm else wm
print("\n".join(map(str, out)))
PY

# run_case NAME MODE DELAY COLUMNS EXTRA
run_case() {
  local name=$1 mode=$2 delay=$3 columns=$4 extra=$5
  cat >"$name.conf" <<CONF
name = "$name";
runtime = { trigger = "available_now"; checkpoint = "ckpt_$name"; threads = 2; };
stages = (
  { name = "tweets"; source = "file"; path = "in"; schema = "author STRING, text STRING, ts TIMESTAMP, n LONG";
    max_files_per_trigger = 3; max_partition_bytes = 1024;
    watermark = { column = "ts"; delay = "$((delay / 1000)) seconds"; }; },
  { name = "unique"; input = "tweets"; transform = "drop_duplicates"; columns = $columns; $extra },
  { name = "out"; input = "unique"; sink = "file"; path = "out_$name"; }
);
CONF
  "$sluice" run "$name.conf" --max-batches 2 2>err.txt || fail "$name: first run"
  "$sluice" run "$name.conf" 2>err.txt || fail "$name: second run"
  python3 simulate.py "$mode" "$delay" >"want_$name.txt"
  "$sluice" cat "out_$name" | python3 -c 'import json,sys; [print(json.loads(l)["n"]) for l in sys.stdin]' >"got_$name.txt"
  [ -s "want_$name.txt" ] || fail "$name: the simulation kept nothing"
  cmp -s "want_$name.txt" "got_$name.txt" || { diff "want_$name.txt" "got_$name.txt" | head >&2; fail "$name: rows differ"; }
  [ "$(wc -l <"got_$name.txt")" -lt 480 ] || fail "$name: nothing was dropped"
}

run_case plain plain 30000 '["author", "text"]' ''
run_case within within 30000 '["author", "text"]' 'within_watermark = true;'
run_case event_key event_key 30000 '["author", "ts"]' ''
grep -q "drop_duplicates keeps every key" err.txt && fail "a watermarked key still warned of an unbounded state"

# Config errors: exit 2, naming the key.
sed 's/watermark = {[^}]*}; //' plain.conf >nowm.conf
expect2 "within_watermark needs a watermark on the stream" nowm.conf --set unique.within_watermark=true
grep -qF "nowm.conf:7: stage 'unique': key 'within_watermark'" err.txt || fail "the error does not point at the stage"
expect2 "unknown key 'colums'" plain.conf --set 'unique.colums=["a"]'
expect2 "key 'columns': no column 'nope' in the input" plain.conf --set 'unique.columns=["nope"]'
"$sluice" check nowm.conf >/dev/null 2>err.txt || fail "check without a watermark"
grep -qF "drop_duplicates keeps every key it has seen, for ever" err.txt || fail "no warning of an unbounded state"
# No columns: every column is the key (Spark's dropDuplicates()). n differs
# on every row, so only the late ones go: ts, the watermarked column, is a key.
sed 's/columns = \[[^]]*\]; //; s/ckpt_plain/ckpt_all/; s/out_plain/out_all/' plain.conf >all.conf
"$sluice" run all.conf 2>err.txt || fail "every column: run"
python3 simulate.py all 30000 >want_all.txt
"$sluice" cat out_all | python3 -c 'import json,sys; [print(json.loads(l)["n"]) for l in sys.stdin]' >got_all.txt
cmp -s want_all.txt got_all.txt || fail "every column: rows differ"
[ "$(wc -l <got_all.txt)" -lt 480 ] && [ "$(wc -l <got_all.txt)" -gt 400 ] || fail "every column: $(wc -l <got_all.txt) rows"

# The saved keys are encoded from the columns: other columns cannot read them.
status=0
"$sluice" run plain.conf --set 'unique.columns=["author"]' >/dev/null 2>err.txt || status=$?
[ "$status" = 2 ] || fail "changed columns on a checkpoint: exit $status, expected 2"
grep -qF 'unique.drop_duplicates changed from "columns author, text" to "columns author"' err.txt \
  || fail "the changed columns are not named"
"$sluice" check plain.conf >doc.txt 2>err.txt || fail "check plain"
grep -qF "drops duplicates of: author, text" doc.txt || fail "check does not describe the keys: $(cat doc.txt)"
"$sluice" plugins drop_duplicates >doc.txt || fail "sluice plugins drop_duplicates"
grep -qF "within_watermark" doc.txt || fail "sluice plugins drop_duplicates: $(cat doc.txt)"
echo "ok drop_duplicates: plain, within_watermark and event-time keys match the simulation across a restart"
