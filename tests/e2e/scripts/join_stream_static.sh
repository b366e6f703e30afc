#!/usr/bin/env bash
# Stream-static joins (Spark's stream joined with spark.read) on the real
# binary, against an independent computation in Python: a stream of
# tweets in 6 files (3 batches of 2, 2 threads) joined with a static CSV
# of users that has duplicate ids, ids no tweet has, and a row with no id;
# tweets have authors in it, authors not in it and null authors. For each
# type (inner, left_outer, left_semi, left_anti) the rows the file sink
# committed must be, in order, what SQL's join gives for each stream row
# in the order of the files, matches in the order of the table. The key
# types differ (a string in the stream, a number in the table), so the
# string is cast as Spark casts it. Then the config errors.
# Usage: join_stream_static.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-join.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$(dirname "$0")/../lib.sh"

python3 - <<'PY'
import json, os, random
random.seed(3)
os.mkdir("in"); os.mkdir("users")
with open("users/users.csv", "w") as f:
    f.write("id,name,lang\n")
    for uid, name in [(1, "ann"), (2, "bob"), (2, "bea"), (4, "dan"), (7, "eve"), (None, "nobody"), (9, "ivy")]:
        f.write(f"{'' if uid is None else uid},{name},{random.choice(['en', 'fr'])}\n")
n = 0
for k in range(6):
    with open(f"in/t{k}.json", "w") as f:
        for r in range(25):
            a = random.choice(["1", "2", "3", "4", "5", "7", None, "x"])
            f.write(json.dumps({"data": {"author_id": a, "text": f"t{n}", "lang": random.choice(["en", "fr"])}}) + "\n")
            n += 1
PY

cat >expect.py <<'PY'
import csv, json, sys
kind = sys.argv[1]
users = []
for row in csv.DictReader(open("users/users.csv")):
    users.append({"id": int(row["id"]) if row["id"] else None, "name": row["name"], "lang": row["lang"]})
def as_long(s):  # Spark's CAST(string AS BIGINT): a whole number, else null
    try: return int(s)
    except (TypeError, ValueError): return None
for k in range(6):
    for line in open(f"in/t{k}.json"):
        t = json.loads(line)
        key = as_long(t["data"]["author_id"])
        m = [u for u in users if key is not None and u["id"] == key]
        if kind in ("inner", "left_outer"):
            for u in m: print(json.dumps({"data": t["data"], "id": u["id"], "name": u["name"], "lang": u["lang"]}, separators=(",", ":")))
            if not m and kind == "left_outer":
                print(json.dumps({"data": t["data"], "id": None, "name": None, "lang": None}, separators=(",", ":")))
        elif (kind == "left_semi") == bool(m):
            print(json.dumps({"data": t["data"]}, separators=(",", ":")))
PY

for kind in inner left_outer left_semi left_anti; do
  cat >"$kind.conf" <<CONF
name = "join_$kind";
runtime = { trigger = "available_now"; checkpoint = "ckpt_$kind"; threads = 2; };
stages = (
  { name = "users"; source = "file"; static = true; path = "users"; format = "csv"; header = true;
    schema = "id LONG, name STRING, lang STRING"; },
  { name = "tweets"; source = "file"; path = "in"; max_files_per_trigger = 2;
    schema = "data STRUCT<author_id: STRING, text: STRING, lang: STRING>"; },
  { name = "j"; input = "tweets"; join = { with = "users"; on = "data.author_id = users.id"; type = "$kind"; }; },
  { name = "out"; input = "j"; sink = "file"; path = "out_$kind"; }
);
CONF
  "$sluice" run "$kind.conf" 2>err.txt || fail "$kind: run"
  python3 expect.py "$kind" >"want_$kind.txt"
  "$sluice" cat "out_$kind" >"got_$kind.txt"
  [ -s "want_$kind.txt" ] || fail "$kind: expected nothing"
  cmp -s "want_$kind.txt" "got_$kind.txt" || { diff "want_$kind.txt" "got_$kind.txt" | head >&2; fail "$kind: rows differ"; }
done
# A table column named like a top-level stream column is qualified by the
# table's name (users.id); `on` must compare the stream with the table.
cat >clash.conf <<'CONF'
runtime = { trigger = "available_now"; };
stages = (
  { name = "users"; source = "file"; static = true; path = "users"; format = "csv"; header = true;
    schema = "id LONG, name STRING, lang STRING"; },
  { name = "tweets"; source = "file"; path = "in"; schema = "data STRUCT<author_id: STRING, text: STRING, lang: STRING>"; },
  { name = "flat"; input = "tweets"; transform = "select"; columns = ["data.author_id AS id", "data.text AS text"]; },
  { name = "j"; input = "flat"; join = { with = "users"; on = "id = users.id AND 'x' = 'x' AND text = users.name"; }; },
  { name = "out"; input = "j"; sink = "console"; format = "jsonl"; }
);
CONF
expect2 "''x' = 'x'' must compare a column of the stream with one of 'users', written users.column" clash.conf
sed -i "s/ AND 'x' = 'x' AND text = users.name//" clash.conf
"$sluice" check clash.conf >check.txt 2>err.txt || fail "check clash"
grep -qF -- '|-- users.id: long' check.txt || fail "the clashing column is not qualified: $(cat check.txt)"
expect2 "a stream-stream join of stage 'tweets' with itself is not supported" inner.conf --set 'j.join={ with = "tweets"; on = "a = tweets.b"; }'
expect2 "unknown stage 'user'" inner.conf --set 'j.join={ with = "user"; on = "a = user.b"; }'
expect2 "FullOuter join with a streaming DataFrame/Dataset on the left and a static DataFrame/Dataset on the right is not supported" inner.conf \
  --set 'j.join={ with = "users"; on = "data.author_id = users.id"; type = "full_outer"; }'
expect2 "expected \"inner\", \"left_outer\", \"right_outer\", \"full_outer\", \"left_semi\" or \"left_anti\"" inner.conf \
  --set 'j.join={ with = "users"; on = "data.author_id = users.id"; type = "outer"; }'
expect2 "cannot compare data (struct) with users.id (long)" inner.conf \
  --set 'j.join={ with = "users"; on = "data = users.id"; }'
expect2 "input 'users' is a static table, read once: it is no stream to read" inner.conf --set 'out.input=users'
"$sluice" check left_semi.conf >doc.txt 2>err.txt || fail "check left_semi"
grep -qF "left_semi join with static table users on data.author_id = users.id" doc.txt || fail "check: $(cat doc.txt)"
# Documented where plugins are: a core stage of its own.
"$sluice" plugins join >doc.txt || fail "sluice plugins join"
grep -qF "join: a core stage (not a plugin)" doc.txt || fail "sluice plugins join: $(cat doc.txt)"
"$sluice" plugins | grep -qE '^  join +join each batch with a static table' || fail "the list lacks the join"
echo "ok stream-static joins: inner, left_outer, left_semi and left_anti equal SQL's rows, in order"
