#!/usr/bin/env bash
# runtime.timezone (Spark's spark.sql.session.timeZone) on the real binary,
# against Python's zoneinfo over the same tz database: events across New
# York's 2021 spring-forward and fall-back nights, grouped by local day and
# hour; local times without an offset (some in the gap, some in the
# overlap) read as instants; timestamps written with the zone's offset.
# Usage: timezone.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-tz.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
. "$(dirname "$0")/../lib.sh"

python3 - <<'PY'
import datetime, json, os, random
random.seed(3)
os.makedirs("in")
utc = datetime.timezone.utc
with open("in/events.json", "w") as out:
    for night in (datetime.datetime(2021, 3, 14, 4, tzinfo=utc), datetime.datetime(2021, 11, 7, 3, tzinfo=utc)):
        for i in range(150):
            t = night + datetime.timedelta(seconds=random.randint(0, 8 * 3600))
            local = (night + datetime.timedelta(minutes=random.randint(-4 * 60, 2 * 60))).strftime("%Y-%m-%d %H:%M:%S")
            out.write(json.dumps({"ts": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "local": local, "n": i}) + "\n")
PY
cat > tz.conf <<'CONF'
runtime = { trigger = "available_now"; checkpoint = "ckpt"; timezone = "America/New_York"; };
stages = (
  { name = "events"; source = "file"; path = "in"; schema = "ts TIMESTAMP, local TIMESTAMP, n LONG"; },
  { name = "by_hour"; input = "events"; group_by = ["to_date(ts) AS day", "hour(ts) AS hour"]; aggregate = ["count(*) AS n"]; },
  { name = "out"; input = "by_hour"; sink = "console"; output_mode = "complete"; num_rows = 100; }
);
CONF
"$sluice" run tz.conf -q >got.txt 2>err.txt || fail "run by hour"
python3 - <<'PY' || fail "local days and hours differ from zoneinfo's"
import collections, datetime, json, re, zoneinfo
ny = zoneinfo.ZoneInfo("America/New_York")
want = collections.Counter()
for l in open("in/events.json"):
    t = datetime.datetime.strptime(json.loads(l)["ts"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).astimezone(ny)
    want[(t.date().isoformat(), t.hour)] += 1
got = collections.Counter()
for line in open("got.txt"):
    m = re.match(r"\|(\d{4}-\d\d-\d\d)\|\s*(\d+)\|\s*(\d+)\|", line.replace(" ", ""))
    if m: got[(m.group(1), int(m.group(2)))] = int(m.group(3))
assert want == got, f"\nwant {sorted(want.items())}\ngot  {sorted(got.items())}"
assert ("2021-11-07", 1) in want and want[("2021-11-07", 1)] > 0, "the repeated hour should have rows"
print(f"ok: {len(got)} local hours")
PY

# Local text read as instants (the gap moves later, the overlap takes the
# earlier offset, as Java and Python's fold=0 do); written back with offsets.
cat > local.conf <<'CONF'
runtime = { trigger = "available_now"; checkpoint = "ckpt_local"; timezone = "America/New_York"; };
stages = (
  { name = "events"; source = "file"; path = "in"; schema = "ts TIMESTAMP, local TIMESTAMP, n LONG"; },
  { name = "p"; input = "events"; transform = "select"; columns = ["n", "cast(local AS long) AS epoch", "local"]; },
  { name = "out"; input = "p"; sink = "file"; path = "out"; }
);
CONF
"$sluice" run local.conf -q 2>err.txt || fail "run local"
cat out/*.json >written.txt
python3 - <<'PY' || fail "local times differ from zoneinfo's"
import datetime, json, zoneinfo
ny = zoneinfo.ZoneInfo("America/New_York")
rows = [json.loads(l) for l in open("in/events.json")]
out = [json.loads(l) for l in open("written.txt")]
assert len(out) == len(rows)
for r, o in zip(rows, out):
    local = datetime.datetime.strptime(r["local"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=ny)  # fold=0
    assert o["epoch"] == int(local.timestamp()), (r, o)
    # Written back in the zone, with its offset: the same instant.
    back = datetime.datetime.fromisoformat(o["local"])
    assert back.timestamp() == int(local.timestamp()) and o["local"][-6:] in ("-04:00", "-05:00"), (r, o)
gap = sum(r["local"][:13] == "2021-03-14 02" for r in rows)
overlap = sum(r["local"][:13] == "2021-11-07 01" for r in rows)
assert gap > 5 and overlap > 5, f"{gap} rows in the gap and {overlap} in the overlap: too few to test"
print(f"ok: local times ({gap} in the gap, {overlap} in the overlap)")
PY
expect2 "key 'runtime.timezone': no time zone 'America/Nowhere'" tz.conf --set runtime.timezone=America/Nowhere
echo "ok timezone: local days and hours across DST, local text read and written as zoneinfo does"
