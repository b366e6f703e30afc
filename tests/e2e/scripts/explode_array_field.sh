#!/usr/bin/env bash
# The lab's own line, as the lab writes it:
#   tweet_stream.select(explode(col("data.entities.hashtags.tag")).alias("hashtag"))
# is { transform = "explode"; column = "data.entities.hashtags.tag"; ... }: a
# path through an array of structs is the array of that field (Spark's
# GetArrayStructFields). The count per hashtag over generated tweets (late
# and malformed lines included) must equal Python's count over the same
# files, computed independently with the json module.
# Usage: explode_array_field.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-explode-field.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
"$sluice" gen tweets in --files 3 --rows 2000 --seed 7 --late 0.1 --malformed 0.01 >/dev/null
cat >p.conf <<'CONF'
runtime = { trigger = "available_now"; };
stages = (
  { name = "tweets"; source = "file"; path = "in";
    schema = "data STRUCT<entities: STRUCT<hashtags: ARRAY<STRUCT<start: LONG, tag: STRING>>>>"; },
  { name = "tags"; input = "tweets"; transform = "explode"; column = "data.entities.hashtags.tag";
    alias = "hashtag"; },
  { name = "n"; input = "tags"; group_by = ["hashtag"]; aggregate = ["count(*) AS n"]; },
  { name = "out"; input = "n"; sink = "console"; output_mode = "complete"; format = "jsonl"; }
);
CONF
"$sluice" run p.conf >out.jsonl 2>err.txt || { cat err.txt >&2; fail "run"; }
python3 - <<'PY' || fail "counts differ"
import collections, glob, json
want = collections.Counter()
for f in sorted(glob.glob("in/*.json")):
    for line in open(f, encoding="utf-8"):
        try:
            t = json.loads(line)
        except ValueError:
            continue  # malformed: permissive mode gives a null row, no hashtags
        tags = (((t.get("data") or {}).get("entities") or {}).get("hashtags")) if isinstance(t, dict) else None
        for h in tags or []:
            want[h.get("tag") if isinstance(h, dict) else None] += 1
got = collections.Counter()
for line in open("out.jsonl"):
    row = json.loads(line)["row"]
    got[row["hashtag"]] += row["n"]
assert sum(want.values()) > 1000, sum(want.values())
if got != want:
    print("sluice:", sorted(got.items(), key=str)[:10])
    print("python:", sorted(want.items(), key=str)[:10])
    raise SystemExit(1)
print(f"ok {len(want)} hashtags, {sum(want.values())} rows, as Python counts them")
PY
grep -q "reads columns: data.entities.hashtags.tag" <("$sluice" check p.conf 2>&1) || fail "the projection is not the tag alone"
