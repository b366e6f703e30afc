#!/usr/bin/env bash
# A live stream from Kafka: messages produced while the query runs come
# out, each once, those of a topic that appears mid-run and matches
# subscribe_pattern included (from its earliest offset); max_offsets_per_trigger
# bounds every batch (read from the progress records); raw mode gives
# Spark's columns.
# Usage: kafka_stream.sh SLUICE MOCK_BROKER SOURCE_DIR
sluice=$1
source "$(dirname "$0")/lib.sh" "$2"
start_broker live:4
cat > live.conf <<CONF
runtime = { trigger = "0 seconds"; progress_log = "progress.jsonl"; };
stages = (
  { name = "in"; source = "kafka"; bootstrap_servers = "$BOOTSTRAP"; subscribe_pattern = "^live";
    starting_offsets = "earliest"; max_offsets_per_trigger = 100; },
  { name = "sel"; input = "in"; transform = "select";
    columns = ["value", "topic", "partition", "offset", "timestampType", "timestamp IS NOT NULL AS stamped"]; },
  { name = "out"; input = "sel"; sink = "console"; format = "jsonl"; }
);
CONF
"$sluice" run live.conf >out.jsonl 2>err.txt &
pid=$!
for burst in 0 1 2; do
  seq $((burst * 250)) $((burst * 250 + 249)) | kcat -P -b "$BOOTSTRAP" -t live
  sleep 0.3
done
broker_cmd "topic live_new 2"
seq 750 999 | kcat -P -b "$BOOTSTRAP" -t live_new
for _ in $(seq 100); do [ "$(wc -l <out.jsonl)" -ge 1000 ] && break; sleep 0.1; done
kill -TERM $pid
wait $pid || fail "sluice run ended with status $?"
python3 - <<'PY' || fail "the stream's rows are wrong"
import json, sys
rows = [json.loads(l)["row"] for l in open("out.jsonl")]
values = sorted(int(r["value"]) for r in rows)
if values != list(range(1000)): sys.exit(f"{len(values)} values, not 0..999 each once")
for r in rows:
    want_topic = "live" if int(r["value"]) < 750 else "live_new"
    if r["topic"] != want_topic or not 0 <= r["partition"] < 4 or r["timestampType"] != 0 or not r["stamped"]:
        sys.exit(f"bad Kafka columns: {r}")
# Offsets within a partition are consecutive, in order.
by = {}
for r in rows: by.setdefault((r["topic"], r["partition"]), []).append(r["offset"])
for p, offs in by.items():
    if offs != list(range(len(offs))): sys.exit(f"partition {p}: offsets {offs[:10]}...")
progress = [json.loads(l) for l in open("progress.jsonl")]
sizes = [p["numInputRows"] for p in progress]
if max(sizes) > 100 or sum(sizes) != 1000: sys.exit(f"batch sizes {sizes}")
if len([s for s in sizes if s]) < 10: sys.exit(f"max_offsets_per_trigger did not split the input: {sizes}")
end = json.loads(progress[-1]["sources"][0]["endOffset"]) if isinstance(progress[-1]["sources"][0]["endOffset"], str) else progress[-1]["sources"][0]["endOffset"]
if sum(end["live"].values()) + sum(end["live_new"].values()) != 1000: sys.exit(f"last end offsets {end}")
PY
echo "kafka: 1000 live messages once each (a new topic's too), batches of at most 100, Spark's columns"
