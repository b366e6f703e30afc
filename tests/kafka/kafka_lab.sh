#!/usr/bin/env bash
# The lab's lang count and its 10 s window with a watermark, read from a
# topic of 3 partitions, give what the same pipelines give over the same
# tweets in files; and a JSON value that is not JSON follows the parse
# modes as in the file source.
# Usage: kafka_lab.sh SLUICE MOCK_BROKER SOURCE_DIR
sluice=$1
src=$3
source "$(dirname "$0")/lib.sh" "$2"
start_broker tweets:3 bad:1
"$sluice" gen tweets in --files 4 --rows 1500 --late 0.05 --step-ms 20 >/dev/null
cat in/*.json | kcat -P -b "$BOOTSTRAP" -t tweets
schema="@$src/configs/schemas/tweet.json"
kafka_stage="{ name = \"tweets\"; source = \"kafka\"; bootstrap_servers = \"$BOOTSTRAP\"; subscribe = [\"tweets\"];
    starting_offsets = \"earliest\"; format = \"json\"; schema = \"$schema\";"
file_stage="{ name = \"tweets\"; source = \"file\"; path = \"in\"; format = \"json\"; schema = \"$schema\";"
wm='watermark = { column = "data.created_at"; delay = "10 seconds"; }; }'
for from in kafka file; do
  stage=$([ $from = kafka ] && echo "$kafka_stage" || echo "$file_stage")
  cat > count_$from.conf <<CONF
runtime = { trigger = "available_now"; shuffle_partitions = 3; };
stages = ( $stage },
  { name = "by_lang"; input = "tweets"; group_by = ["data.lang AS lang"]; aggregate = ["count(*) AS count"]; },
  { name = "out"; input = "by_lang"; sink = "console"; output_mode = "complete"; format = "jsonl"; } );
CONF
  cat > window_$from.conf <<CONF
runtime = { trigger = "available_now"; shuffle_partitions = 3; };
stages = ( $stage $wm,
  { name = "w"; input = "tweets"; window = { column = "data.created_at"; duration = "10 seconds"; };
    aggregate = ["count(*) AS count"]; },
  { name = "out"; input = "w"; sink = "console"; output_mode = "append"; format = "jsonl"; } );
CONF
  for q in count window; do
    "$sluice" run ${q}_$from.conf 2>err.txt | sed 's/"batch_id":[0-9]*,//' | sort >${q}_$from.out || fail "$q from $from"
  done
done
for q in count window; do
  [ -s ${q}_file.out ] || fail "$q: the file pipeline gave nothing"
  diff -u ${q}_file.out ${q}_kafka.out >&2 || fail "$q from Kafka differs from the same pipeline over files"
done
[ "$(wc -l <window_kafka.out)" -gt 5 ] || fail "too few windows to mean anything"

# Values that are not JSON: null rows in permissive mode (counted), an error in fail_fast.
printf '{"data":{"lang":"en"}}\nnot json\n{"data":{"lang":"fr"}}\n' | kcat -P -b "$BOOTSTRAP" -t bad
sed -e 's/subscribe = \["tweets"\]/subscribe = ["bad"]/' count_kafka.conf >bad.conf
"$sluice" run bad.conf 2>err.txt | sed 's/"batch_id":[0-9]*,//' | sort >bad.out || fail "permissive run failed"
printf '{"row":{"lang":"en","count":1}}\n{"row":{"lang":"fr","count":1}}\n{"row":{"lang":null,"count":1}}\n' | sort >want
diff -u want bad.out >&2 || fail "a malformed value is not a null row"
grep -q "1 malformed input lines" err.txt || fail "the malformed value was not counted"
status=0
"$sluice" run bad.conf --set tweets.mode=fail_fast >/dev/null 2>err.txt || status=$?
[ $status = 1 ] || fail "fail_fast: exit status $status, expected 1"
grep -q "malformed" err.txt || fail "fail_fast: no word of the malformed value"
echo "kafka: lang count and watermarked windows equal the file pipelines'; parse modes hold"
