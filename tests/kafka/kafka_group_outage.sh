#!/usr/bin/env bash
# The brokers go away under a group of two members: every broker down for
# 10 s, longer than the members' session (4 s). The members wait (neither
# exits), rejoin when the brokers are back, and every message, produced
# before and after the outage, is written (at least once across members).
# Usage: kafka_group_outage.sh SLUICE MOCK_BROKER SOURCE_DIR
sluice=$1
source "$(dirname "$0")/lib.sh" "$2"
start_broker in:4
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; cleanup' EXIT

produce() { # FROM TO
  python3 -c "
import json
for i in range($1, $2): print(f'{i}\t' + json.dumps({'id': i}))" | kcat -P -b "$BOOTSTRAP" -t in -K '	'
}
cat > member.conf <<CONF
runtime = { trigger = "200 milliseconds"; checkpoint = "ck"; };
stages = (
  { name = "in"; source = "kafka"; bootstrap_servers = "$BOOTSTRAP"; subscribe = ["in"];
    starting_offsets = "earliest"; format = "json"; schema = "id LONG";
    kafka = ["session.timeout.ms=4000", "heartbeat.interval.ms=300"]; },
  { name = "out"; input = "in"; sink = "file"; path = "out"; }
);
CONF
for m in a b; do
  "$sluice" run member.conf --group g --member "$m" --set out.path="out_$m" -v 2>"err_$m.txt" >/dev/null &
  PIDS+=($!)
done
count() { for d in out_*; do [ -d "$d" ] && "$sluice" cat "$d" 2>/dev/null; done | python3 -c '
import json, sys
print(len({json.loads(l)["id"] for l in sys.stdin}))'; }
wait_count() { # N SECONDS
  for _ in $(seq $(( $2 * 5 ))); do [ "$(count)" -ge "$1" ] && return 0; sleep 0.2; done
  for f in err_*.txt; do echo "--- $f" >&2; tail -5 "$f" >&2; done
  fail "the members wrote $(count) distinct ids, not $1, in $2 s"
}
produce 0 200
wait_count 200 90

for id in 1 2 3; do broker_cmd "down $id"; done
sleep 10
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || fail "a member exited while the brokers were down"; done
for id in 1 2 3; do broker_cmd "up $id"; done
produce 200 400
wait_count 400 120
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || fail "a member exited after the brokers came back"; done
echo "kafka group outage: the members waited 10 s without brokers and wrote every message after"
