#!/usr/bin/env bash
# GET /metrics: a running pipeline's counters and gauges in Prometheus' text
# format, checked by a strict parser written from the format's spec (HELP
# and TYPE before a family's samples, samples of a family together, names
# and labels as the grammar says, histogram buckets cumulative and ending
# in +Inf with _sum and _count, counters named *_total) and against the
# numbers /progress gives for the same run.
# Usage: metrics_prometheus.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-metrics.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; cat err.txt >&2 2>/dev/null; exit 1; }
mkdir in
cat > p.conf <<'CONF'
name = "metrics \"test\"";
runtime = { trigger = "100 milliseconds"; http = "127.0.0.1:0"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "t TIMESTAMP, lang STRING";
    watermark = { column = "t"; delay = "5 seconds"; }; },
  { name = "w"; input = "rows"; window = { column = "t"; duration = "10 seconds"; };
    group_by = ["lang"]; aggregate = ["count(*) AS n"]; },
  { name = "out"; input = "w"; sink = "console"; output_mode = "update"; format = "jsonl"; }
);
CONF
"$sluice" run p.conf >out.txt 2>err.txt &
pid=$!
addr=
for _ in $(seq 1 200); do
  addr=$(sed -n 's|.*on http://\(127\.0\.0\.1:[0-9]*\).*|\1|p' err.txt)
  [ -n "$addr" ] && break
  sleep 0.05
done
[ -n "$addr" ] || fail "the pipeline did not serve"
printf '{"t":"2021-01-01T00:00:01Z","lang":"en"}\n{"t":"2021-01-01T00:00:02Z","lang":"fr"}\n' >in/.a && mv in/.a in/a.json
sleep 0.5
printf '{"t":"2021-01-01T00:00:30Z","lang":"en"}\nnot json\n' >in/.b && mv in/.b in/b.json
sleep 0.5
# The watermark is now 25 s: 3 s falls in a closed window.
printf '{"t":"2021-01-01T00:00:03Z","lang":"en"}\n' >in/.c && mv in/.c in/c.json
for _ in $(seq 1 100); do
  curl -sf "http://$addr/progress" >progress.json
  python3 -c 'import json,sys; sys.exit(0 if sum(r["numInputRows"] for r in json.load(open("progress.json"))) >= 5 else 1)' && break
  sleep 0.1
done
curl -sf -D headers.txt "http://$addr/metrics" >metrics.txt || fail "GET /metrics failed"
curl -sf "http://$addr/progress" >progress.json
grep -qi '^content-type: text/plain; version=0.0.4' headers.txt || fail "wrong content type: $(cat headers.txt)"
python3 - <<'PY' || fail "metrics are not valid or not what /progress says"
import json, re, sys
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(\{{(?:{LABEL})(?:,{LABEL})*\}})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$")
lines = open("metrics.txt").read().split("\n")
if lines[-1] != "": sys.exit("the exposition must end with a line feed")
help_, type_, seen_done, current, samples = {}, {}, set(), None, {}
for n, line in enumerate(lines[:-1], 1):
    if line.startswith("# HELP "):
        name = line.split(" ", 3)[2]
        if name in help_: sys.exit(f"line {n}: second HELP for {name}")
        help_[name] = True
        continue
    if line.startswith("# TYPE "):
        _, _, name, t = line.split(" ")
        if t not in ("counter", "gauge", "histogram", "summary", "untyped"): sys.exit(f"line {n}: type {t}")
        if name in type_: sys.exit(f"line {n}: second TYPE for {name}")
        if current and current != name: seen_done.add(current)
        type_[name] = t
        current = name
        continue
    m = SAMPLE.match(line)
    if not m: sys.exit(f"line {n} is not a sample: {line!r}")
    name = m.group(1)
    family = re.sub(r"_(bucket|sum|count)$", "", name) if type_.get(re.sub(r"_(bucket|sum|count)$", "", name)) == "histogram" else name
    if family not in type_: sys.exit(f"line {n}: {name} has no TYPE before it")
    if family != current or family in seen_done: sys.exit(f"line {n}: {family}'s samples are not together")
    if type_[family] == "counter" and not family.endswith("_total"): sys.exit(f"counter {family} does not end in _total")
    labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
    samples.setdefault(name, []).append((labels, float(m.group(3))))
for name, t in type_.items():
    if not help_.get(name): sys.exit(f"{name} has no HELP")
# The histogram: cumulative buckets, +Inf equal to _count.
b = samples["sluice_batch_duration_seconds_bucket"]
counts = [v for _, v in b]
if counts != sorted(counts) or b[-1][0]["le"] != "+Inf": sys.exit(f"buckets {b}")
if samples["sluice_batch_duration_seconds_count"][0][1] != b[-1][1]: sys.exit("_count is not the +Inf bucket")
progress = json.load(open("progress.json"))
def one(name): return samples[name][0][1]
if one("sluice_input_rows_total") != sum(r["numInputRows"] for r in progress): sys.exit("input rows differ from /progress")
if one("sluice_batches_total") != len(progress): sys.exit("batches differ from /progress")
if one("sluice_last_batch_id") != progress[-1]["batchId"]: sys.exit("last batch id differs")
if one("sluice_malformed_rows_total") != 1: sys.exit("the malformed line is not counted")
if one("sluice_late_rows_total") != 1: sys.exit("the late row is not counted")
wm = progress[-1]["eventTime"]["watermark"]
import datetime
want = datetime.datetime.strptime(wm, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
if abs(one("sluice_watermark_seconds") - want) > 1e-3: sys.exit(f"watermark {one('sluice_watermark_seconds')} vs {want}")
if samples["sluice_input_rows_total"][0][0]["query"] != 'metrics \\"test\\"': sys.exit("label not escaped")
stages = {l["stage"]: v for l, v in samples["sluice_stage_rows_total"]}
if stages.get("rows") != one("sluice_input_rows_total") or stages.get("out", 0) < 1: sys.exit(f"stage rows {stages}")
PY
kill -TERM $pid
wait $pid || fail "sluice run ended with status $?"
pid=
echo "metrics: a strictly valid exposition that agrees with /progress"
