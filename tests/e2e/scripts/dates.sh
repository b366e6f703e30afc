#!/usr/bin/env bash
# DATE on the real binary, against Python's datetime:
# 1. JSON with a DATE column (some values malformed: null, and counted)
#    and a timestamp; grouped by to_date(ts) with count, min(d), max(d),
#    count(DISTINCT d) and datediff, in complete mode; the file sink's
#    rows equal the same computed in Python.
# 2. Partition directories day=yyyy-MM-dd are inferred as DATE (as Spark
#    infers them), filtered against a string and counted per day.
# 3. CSV in and out: a DATE column read, date_add'ed (a century is 36524
#    days across 1900, which is no leap year, 36525 across 2000), written by the CSV
#    file sink as yyyy-MM-dd and read back by `sluice cat`.
# Usage: dates.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-dates.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$(dirname "$0")/../lib.sh"

python3 - <<'PY'
import datetime, json, os, random
random.seed(5)
os.makedirs("in")
base = datetime.datetime(2021, 2, 26, tzinfo=datetime.timezone.utc)  # across the end of February
for f in range(4):
    with open(f"in/part-{f}.json", "w") as out:
        for r in range(60):
            ts = base + datetime.timedelta(seconds=random.randint(-3600, 5 * 86400))
            d = (datetime.date(2020, 1, 1) + datetime.timedelta(days=random.randint(0, 800))).isoformat()
            if random.random() < 0.05: d = "2021-02-30"  # no such day: null, counted malformed
            out.write(json.dumps({"ts": ts.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "d": d, "n": f * 100 + r}) + "\n")
PY
cat > days.conf <<'CONF'
runtime = { trigger = "available_now"; checkpoint = "ckpt"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "ts TIMESTAMP, d DATE, n LONG"; },
  { name = "by_day"; input = "rows"; group_by = ["to_date(ts) AS day"];
    aggregate = ["count(*) AS rows", "min(d) AS first", "max(d) AS last", "count(DISTINCT d) AS distinct_d",
                 "max(datediff(to_date(ts), d)) AS most_days"]; },
  { name = "out"; input = "by_day"; sink = "memory"; query_name = "unused"; output_mode = "complete"; }
);
CONF
# The memory sink is read over HTTP; the console sink prints what we need here.
sed 's/sink = "memory"; query_name = "unused";/sink = "console"; num_rows = 100; truncate = false;/' days.conf >console.conf
"$sluice" run console.conf >got.txt 2>err.txt || fail "run by day"
grep -q "malformed" err.txt || fail "the impossible dates were not counted as malformed"
python3 - <<'PY' || fail "by-day rows differ from Python's"
import collections, datetime, glob, json, re
rows = [json.loads(l) for f in sorted(glob.glob("in/*.json")) for l in open(f)]
def date(s):
    try: return datetime.date.fromisoformat(s)
    except ValueError: return None
want = {}
groups = collections.defaultdict(list)
for r in rows:
    day = datetime.datetime.strptime(r["ts"], "%Y-%m-%dT%H:%M:%S.000Z").date()
    groups[day].append(date(r["d"]))
for day, ds in groups.items():
    good = [d for d in ds if d]
    want[str(day)] = (len(ds), str(min(good)), str(max(good)), len(set(good)), max((day - d).days for d in good))
got = {}
for line in open("got.txt"):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 6 and re.match(r"\d{4}-\d\d-\d\d$", cells[0]):
        got[cells[0]] = (int(cells[1]), cells[2], cells[3], int(cells[4]), int(cells[5]))
assert got == want, f"\nwant {sorted(want.items())}\ngot  {sorted(got.items())}"
assert "2021-02-28" in want and "2021-03-01" in want, "the data should cross the end of February"
print(f"ok: {len(got)} days")
PY
"$sluice" check days.conf >plan.txt 2>err.txt || fail "check"
grep -q "day: date (nullable = true)" plan.txt || fail "to_date(ts) is not typed date: $(grep day plan.txt)"

# ---- 2. date partitions ---------------------------------------------------------
for day in 2021-05-02 2021-05-03 2021-05-04; do
  mkdir -p "parts/day=$day"
  for i in $(seq 1 ${day: -1}); do echo "{\"n\":$i}"; done >"parts/day=$day/a.json"
done
cat > parts.conf <<'CONF'
runtime = { trigger = "available_now"; };
stages = (
  { name = "rows"; source = "file"; path = "parts"; schema = "n LONG"; partition_columns = ["day"]; },
  { name = "recent"; input = "rows"; transform = "filter"; condition = "day >= '2021-05-03'"; },
  { name = "counts"; input = "recent"; group_by = ["day", "date_add(day, 1) AS next"]; aggregate = ["count(*) AS n"]; },
  { name = "out"; input = "counts"; sink = "console"; output_mode = "complete"; }
);
CONF
"$sluice" check parts.conf >plan.txt 2>err.txt || fail "check parts"
grep -q "day: date" plan.txt || fail "day=yyyy-MM-dd is not inferred as a date: $(grep 'day' plan.txt)"
"$sluice" run parts.conf -q 2>err.txt | grep '^|2021' | tr -d ' ' | sort >got.txt || fail "run parts"
printf '%s\n' '|2021-05-03|2021-05-04|3|' '|2021-05-04|2021-05-05|4|' >want.txt
diff -u want.txt got.txt >&2 || fail "date partitions: counts differ"

# ---- 3. CSV in, CSV out -----------------------------------------------------------
mkdir -p csv
printf 'name,born\nada,1815-12-10\ngrace,1906-12-09\nnobody,\n' >csv/people.csv
cat > csv.conf <<'CONF'
runtime = { trigger = "available_now"; checkpoint = "ckpt_csv"; };
stages = (
  { name = "people"; source = "file"; path = "csv"; format = "csv"; header = true; schema = "name STRING, born DATE"; },
  { name = "p"; input = "people"; transform = "select";
    columns = ["name", "born", "date_add(born, 36525) AS century", "cast(born AS timestamp) AS at"]; },
  { name = "out"; input = "p"; sink = "file"; path = "out_csv"; format = "csv"; header = true; }
);
CONF
"$sluice" run csv.conf -q 2>err.txt || fail "csv run"
cat out_csv/*.csv >got.txt
printf '%s\n' 'name,born,century,at' 'ada,1815-12-10,1915-12-11,1815-12-10T00:00:00.000Z' \
  'grace,1906-12-09,2006-12-09,1906-12-09T00:00:00.000Z' 'nobody,,,' >want.txt
diff -u want.txt got.txt >&2 || fail "CSV out differs"
"$sluice" cat out_csv >got.txt 2>err.txt || fail "cat"
grep -qF '{"name":"ada","born":"1815-12-10","century":"1915-12-11","at":"1815-12-10T00:00:00.000Z"}' got.txt \
  || fail "cat: $(head -1 got.txt)"
echo "ok dates: JSON and CSV dates, to_date, date arithmetic, min/max/distinct, date partitions"
