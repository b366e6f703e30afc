#!/usr/bin/env bash
# runtime.progress_log gets one StreamingQueryProgress-shaped JSON line per
# batch, with fields checked against known input (rows, offsets, event
# times, watermark, state rows, late rows, output rows); the query id
# survives a restart from the checkpoint and the run id does not. On a
# terminal `sluice run` shows a one-line status; elsewhere it never does.
# Usage: progress_log_and_status_line.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-progress.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }

mkdir in
printf '{"lang":"en","t":"1970-01-01T00:00:10Z"}\n{"lang":"fr","t":"1970-01-01T00:00:11Z"}\n{"lang":"en","t":"1970-01-01T00:00:12Z"}\n' >in/a.json
printf '{"lang":"en","t":"1970-01-01T00:00:30Z"}\n' >in/b.json
printf '{"lang":"en","t":"1970-01-01T00:00:05Z"}\n' >in/c.json  # late by then
cat > pipeline.conf <<'CONF'
name = "progress";
runtime = { trigger = "available_now"; shuffle_partitions = 2; checkpoint = "ckpt"; progress_log = "progress.jsonl"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "lang STRING, t TIMESTAMP"; max_files_per_trigger = 1;
    watermark = { column = "t"; delay = "5 seconds"; }; },
  { name = "counts"; input = "rows"; window = { column = "t"; duration = "10 seconds"; };
    group_by = ["lang"]; aggregate = ["count(*) AS n"]; },
  { name = "out"; input = "counts"; sink = "console"; output_mode = "update"; format = "jsonl"; }
);
CONF
"$sluice" run pipeline.conf >out.txt 2>err.txt || fail "run"
grep -q "rows/s" err.txt && fail "a status line was printed to a stderr that is not a terminal"

python3 - <<'PY' || fail "progress records"
import json
recs = [json.loads(l) for l in open("progress.jsonl")]
assert len(recs) == 3, len(recs)
def check(r, i, rows, start, mn, mx, avg, wm, total, updated, removed, dropped, out):
    assert r["batchId"] == i, r["batchId"]
    assert r["name"] == "progress"
    assert r["numInputRows"] == rows and r["sources"][0]["numInputRows"] == rows
    src = r["sources"][0]
    assert src["description"] == "file[rows]", src
    assert src["startOffset"] == start, src
    assert src["endOffset"] == {"logOffset": i + 1}, src
    et = r["eventTime"]
    assert et["watermark"] == wm, et
    if rows:
        assert (et["min"], et["max"], et["avg"]) == (mn, mx, avg), et
    st = r["stateOperators"][0]
    assert st["stage"] == "counts" and st["numShufflePartitions"] == 2, st
    got = (st["numRowsTotal"], st["numRowsUpdated"], st["numRowsRemoved"], st["numRowsDroppedByWatermark"])
    assert got == (total, updated, removed, dropped), (i, got)
    assert st["memoryUsedBytes"] > 0
    assert r["sink"] == {"description": "console[out]", "numOutputRows": out}, r["sink"]
    assert set(r["durationMs"]) == {"latestOffset", "getBatch", "walCommit", "addBatch", "commitOffsets",
                                    "triggerExecution"}, r["durationMs"]
    assert r["durationMs"]["triggerExecution"] >= r["durationMs"]["addBatch"]
    assert r["timestamp"].endswith("Z") and len(r["timestamp"]) == 24
ts = lambda s: "1970-01-01T00:00:%02d.000Z" % s
check(recs[0], 0, 3, None, ts(10), ts(12), ts(11), ts(0), 2, 2, 0, 0, 2)
check(recs[1], 1, 1, {"logOffset": 1}, ts(30), ts(30), ts(30), ts(7), 3, 1, 0, 0, 1)
check(recs[2], 2, 1, {"logOffset": 2}, ts(5), ts(5), ts(5), ts(25), 1, 0, 2, 1, 0)  # late rows count too, as in Spark
assert recs[0]["inputRowsPerSecond"] == 0.0 and recs[1]["inputRowsPerSecond"] > 0
assert len({r["id"] for r in recs}) == 1 and len({r["runId"] for r in recs}) == 1
json.dump({"id": recs[0]["id"], "runId": recs[0]["runId"]}, open("ids.json", "w"))
PY

# A restart keeps the query id (from the checkpoint) with a new run id.
printf '{"lang":"fr","t":"1970-01-01T00:00:40Z"}\n' >in/d.json
"$sluice" run pipeline.conf >out.txt 2>err.txt || fail "restart"
python3 - <<'PY' || fail "ids after a restart"
import json
ids = json.load(open("ids.json"))
recs = [json.loads(l) for l in open("progress.jsonl")]
assert [r["batchId"] for r in recs] == [0, 1, 2, 3, 4], [r["batchId"] for r in recs]  # 4: no data, the watermark moved
assert recs[3]["id"] == ids["id"] and recs[3]["runId"] != ids["runId"]
assert recs[3]["sources"][0]["startOffset"] == {"logOffset": 3}
PY

# On a terminal: the status line, redrawn in place, and cleared at the end.
if command -v script >/dev/null; then
  printf '{"lang":"fr","t":"1970-01-01T00:00:50Z"}\n' >in/e.json
  script -qec "'$sluice' run pipeline.conf --set out.format=jsonl 2>&1 >/dev/null" tty.txt >/dev/null </dev/null ||
    fail "run on a terminal"
  # Batch 5 reads e.json, batch 6 is the no-data batch its watermark calls for.
  grep -aqF $'\r\e[Ksluice: batch 5 | ' tty.txt || fail "no status line on a terminal: $(cat -v tty.txt)"
  # The last one, cleared when the run ends.
  grep -aqF $'\r\e[Ksluice: batch 6 | 0 rows/s | watermark 1970-01-01 00:00:45 | 2 state rows\r\e[K' tty.txt ||
    fail "status line: $(cat -v tty.txt)"
fi
echo "ok progress: records checked against known input; status line only on a terminal"
