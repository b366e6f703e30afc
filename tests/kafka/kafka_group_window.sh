#!/usr/bin/env bash
# Event-time windows in a group (runtime.group; README "Scaling out"): three
# members count 10-second windows per language with a one-minute watermark
# in append mode, each into a file sink of its own. The rows are produced
# in event-time order in six chunks, then one late-enough row per language
# partition to close every window. Every (window, language) must be
# written exactly once, by one member, with the count Python computes from
# the rows; none is dropped as late.
# Usage: kafka_group_window.sh SLUICE MOCK_BROKER SOURCE_DIR
sluice=$1
source "$(dirname "$0")/lib.sh" "$2"
start_broker in:6 gw-w-repartition:6 gw-w-changelog:6
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; cleanup' EXIT

N=12000
BASE=1620000000 # 2021-05-03T00:00:00Z, a window boundary
python3 - "$N" "$BASE" >msgs <<'PY'
import datetime, json, random, sys
random.seed(11)
langs = ["en", "ja", "es", "fr", "de", "pt", "it", "ko", "ar", "tr", "ru", "und"]
base = int(sys.argv[2])
for i in range(int(sys.argv[1])):  # one row per 10 ms of event time: 120 s in all
    ts = datetime.datetime.fromtimestamp(base + i / 100, datetime.timezone.utc)
    print(f"{i}\t" + json.dumps({"id": i, "lang": random.choice(langs), "ts": ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}))
PY
cut -f2 msgs | python3 -c '
import collections, datetime, json, sys
n = collections.Counter()
for line in sys.stdin:
    r = json.loads(line)
    t = datetime.datetime.strptime(r["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    start = int(t.timestamp()) // 10 * 10
    n[(start, r["lang"])] += 1
for (start, lang), c in sorted(n.items()): print(start, lang, c)' >want

cat > member.conf <<CONF
runtime = { trigger = "300 milliseconds"; checkpoint = "ck"; shuffle_partitions = 6; idle_timeout = "3 seconds"; };
stages = (
  { name = "in"; source = "kafka"; bootstrap_servers = "$BOOTSTRAP"; subscribe = ["in"];
    starting_offsets = "earliest"; format = "json"; schema = "id LONG, lang STRING, ts TIMESTAMP";
    watermark = { column = "ts"; delay = "1 minute"; };
    kafka = ["session.timeout.ms=4000", "heartbeat.interval.ms=300"]; },
  { name = "w"; input = "in"; window = { column = "ts"; duration = "10 seconds"; };
    group_by = ["lang"]; aggregate = ["count(*) AS n"]; },
  { name = "out"; input = "w"; sink = "file"; path = "out"; format = "json"; }
);
CONF
"$sluice" check member.conf --group gw >plan.txt 2>err.txt || fail "check of the windowed group failed"
# The hop source carries the watermark on: the aggregation may run in append mode.
grep -A4 "^  w-repartitioned" plan.txt |
  grep -q "watermark: ts, delay 1 minute; the least over the producers (column key) heard from within 3 seconds" ||
  { cat plan.txt >&2; fail "the plan does not show the watermark on the hop source"; }

for m in a b c; do
  "$sluice" run member.conf --group gw --member "$m" --set out.path="out_$m" -v 2>"err_$m.txt" >/dev/null &
  PIDS+=($!)
done
# The group settles on both topics before the first row, so that no
# partition moves while the windows fill.
for _ in $(seq 300); do
  [ "$(grep -l "of group 'gw' takes gw-w-repartition" err_*.txt 2>/dev/null | wc -l)" -ge 3 ] &&
    [ "$(grep -l "of group 'gw' takes in-" err_*.txt 2>/dev/null | wc -l)" -ge 3 ] && break
  sleep 0.2
done
moves() { grep -h "takes\|hands over" err_*.txt | wc -l; }
last=$(moves)
for _ in $(seq 60); do sleep 1; now=$(moves); [ "$now" = "$last" ] && break; last=$now; done
for k in 0 1 2 3 4 5; do
  sed -n "$((k * N / 6 + 1)),$(((k + 1) * N / 6))p" msgs | kcat -P -b "$BOOTSTRAP" -t in -K '	'
  sleep 2
done
# Rows an hour on for each language's partition of the repartition topic
# (and so its member): every window of the data is then closed, once the
# producers that sent nothing later are 3 s quiet (runtime.idle_timeout).
for lang in de en fr ja; do
  printf 'close\t{"id":-1,"lang":"%s","ts":"2021-05-03T01:00:00Z"}\n' "$lang"
done | kcat -P -b "$BOOTSTRAP" -t in -K '	'

got() {
  for d in out_*; do [ -d "$d" ] && "$sluice" cat "$d" 2>/dev/null; done | python3 -c '
import datetime, json, sys
for line in sys.stdin:
    r = json.loads(line)
    start = datetime.datetime.fromisoformat(r["window"]["start"].replace("Z", "+00:00"))
    print(int(start.timestamp()), r["lang"], r["n"])' | sort -n -k1,1 -k2,2
}
for _ in $(seq 90); do
  got >got
  cmp -s want got && break
  sleep 1
done
diff -u want got >&2 || fail "the windows written are not every (window, language) once with its count"
echo "kafka group windows: $(wc -l <want) (window, language) counts, each written once by one of 3 members"
