#!/usr/bin/env bash
# Exactly once from Kafka into the file sink across kill -9: a windowed
# count over a topic of 3 partitions, 300 offsets a batch, is killed with
# SIGKILL at five points of five batches (offsets written, rows in the
# sinks, sinks done, state half saved, commit written) and restarted each
# time; the committed output must equal an uninterrupted run's, batch for
# batch (offsets in the checkpoint, not the group's, so a replay reads
# exactly its planned range).
# Usage: kafka_exactly_once.sh SLUICE MOCK_BROKER SOURCE_DIR
sluice=$1
source "$(dirname "$0")/lib.sh" "$2"
start_broker tweets:3
"$sluice" gen tweets in --files 3 --rows 1000 --step-ms 50 --late 0.1 --seed 3 >/dev/null
cat in/*.json | kcat -P -b "$BOOTSTRAP" -t tweets
conf() { # CHECKPOINT OUT
  cat <<CONF
runtime = { trigger = "available_now"; shuffle_partitions = 3; checkpoint = "$1"; };
stages = (
  { name = "tweets"; source = "kafka"; bootstrap_servers = "$BOOTSTRAP"; subscribe = ["tweets"];
    starting_offsets = "earliest"; max_offsets_per_trigger = 300; format = "json";
    schema = "data STRUCT<created_at: TIMESTAMP, lang: STRING>";
    watermark = { column = "data.created_at"; delay = "5 seconds"; }; },
  { name = "w"; input = "tweets"; window = { column = "data.created_at"; duration = "10 seconds"; };
    group_by = ["data.lang AS lang"]; aggregate = ["count(*) AS n"]; },
  { name = "out"; input = "w"; sink = "file"; path = "$2"; }
);
CONF
}
conf ck_once out_once >once.conf
"$sluice" run once.conf -q 2>err.txt || fail "the uninterrupted run failed"
conf ck out >kill.conf
for at in plan:1 batch:2 sink:3 state:4 commit:5; do
  status=$( { SLUICE_TEST_CRASH_AT=$at "$sluice" run kill.conf -q 2>err.txt; echo $?; } 2>/dev/null )
  [ "$status" = 137 ] || fail "SLUICE_TEST_CRASH_AT=$at: exit status $status, expected 137"
done
"$sluice" run kill.conf -q 2>err.txt || fail "the last restart failed"
"$sluice" cat out_once >want.jsonl 2>err.txt || fail "cat out_once"
"$sluice" cat out >got.jsonl 2>err.txt || fail "cat out"
[ "$(wc -l <want.jsonl)" -gt 20 ] || fail "too few windows to mean anything"
diff -u want.jsonl got.jsonl >&2 || fail "the killed and restarted run committed other rows"
echo "kafka: five kill -9s, the committed windows equal an uninterrupted run's"
