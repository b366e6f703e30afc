#!/usr/bin/env bash
# What goes wrong with Kafka says so: brokers that cannot be reached (after
# the timeout, exit 1), a topic that does not exist, offsets lost to
# retention with fail_on_data_loss true (exit 1, naming the partition and
# the offsets) and false (a warning, then the run goes on), a kafka.*
# property the source sets itself (exit 2).
# Usage: kafka_errors.sh SLUICE MOCK_BROKER SOURCE_DIR
sluice=$1
source "$(dirname "$0")/lib.sh" "$2"
start_broker small:1
expect() { # STATUS MESSAGE ARGS...
  local want=$1 msg=$2 status=0
  shift 2
  "$sluice" run "$@" >out.txt 2>err.txt || status=$?
  [ "$status" = "$want" ] || fail "$*: exit status $status, expected $want"
  grep -qF -- "$msg" err.txt || fail "$*: stderr lacks: $msg"
}
cat > p.conf <<CONF
runtime = { trigger = "available_now"; checkpoint = "ck"; };
stages = (
  { name = "in"; source = "kafka"; bootstrap_servers = "$BOOTSTRAP"; subscribe = ["small"]; starting_offsets = "earliest";
    timeout = "3 seconds"; },
  { name = "n"; input = "in"; aggregate = ["count(*) AS n"]; },
  { name = "out"; input = "n"; sink = "console"; output_mode = "complete"; format = "jsonl"; }
);
CONF
expect 1 "cannot reach the Kafka brokers at 127.0.0.1:1" p.conf --set in.bootstrap_servers=127.0.0.1:1 --set runtime.checkpoint=ck0
expect 1 "topic 'nope' does not exist on $BOOTSTRAP" p.conf --set 'in.subscribe=["nope"]' --set runtime.checkpoint=ck1
expect 2 "kafka: 'auto.offset.reset' is set by the source itself" p.conf --set 'in.kafka=["auto.offset.reset=latest"]'

# Ten messages read and committed, then more than the mock broker keeps
# (5 MiB a partition): the ten are deleted before a restart can go on after them.
seq 1 10 | kcat -P -b "$BOOTSTRAP" -t small
"$sluice" run p.conf -q 2>err.txt || fail "the first run failed"
python3 -c 'import sys; sys.stdout.write(("x" * 1000 + "\n") * 12000)' | kcat -P -b "$BOOTSTRAP" -t small
expect 1 "partition small-0: offsets 10 to " p.conf
grep -q "fail_on_data_loss = false" err.txt || fail "no hint at fail_on_data_loss"
expect 0 "were deleted before they were read: skipping them" p.conf --set in.fail_on_data_loss=false
echo "kafka: unreachable brokers, a missing topic, lost offsets and a reserved property each named"
