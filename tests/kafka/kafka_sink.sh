#!/usr/bin/env bash
# Kafka -> filter -> Kafka: every input message whose filter is true is in
# the output topic, once (no crash), with the key and value expressions'
# results, and headers from a `headers` column; without `value`, a row goes
# out as JSON. An undeliverable batch fails the run (exit 1).
# Usage: kafka_sink.sh SLUICE MOCK_BROKER SOURCE_DIR
sluice=$1
source "$(dirname "$0")/lib.sh" "$2"
start_broker in:3 out:2 rows:1 parts:4 slim:1 kc:1
python3 -c '
import json
for i in range(600): print(json.dumps({"id": i, "text": "covid news" if i % 3 == 0 else "other"}))' >msgs
kcat -P -b "$BOOTSTRAP" -t in -l msgs
cat > pipe.conf <<CONF
runtime = { trigger = "available_now"; };
stages = (
  { name = "in"; source = "kafka"; bootstrap_servers = "$BOOTSTRAP"; subscribe = ["in"]; starting_offsets = "earliest";
    format = "json"; schema = "id LONG, text STRING"; },
  { name = "covid"; input = "in"; transform = "filter"; condition = "text LIKE '%covid%'"; },
  { name = "out"; input = "covid"; sink = "kafka"; bootstrap_servers = "$BOOTSTRAP"; topic = "out";
    key = "CAST(id AS STRING)"; value = "concat('tweet ', CAST(id AS STRING))"; },
  { name = "rows"; input = "covid"; sink = "kafka"; bootstrap_servers = "$BOOTSTRAP"; topic = "rows"; }
);
CONF
"$sluice" run pipe.conf -q 2>err.txt || fail "the pipeline failed"
kcat -C -b "$BOOTSTRAP" -t out -e -q -f '%k %s\n' | sort -n >got
python3 -c '
for i in range(0, 600, 3): print(f"{i} tweet {i}")' | sort -n >want
diff -u want got >&2 || fail "the output topic is not the filtered input, once each"
kcat -C -b "$BOOTSTRAP" -t rows -e -q -f '%s\n' | sort >rows.got
python3 -c '
for i in range(0, 600, 3): print("{\"id\":%d,\"text\":\"covid news\"}" % i)' | sort >rows.want
diff -u rows.want rows.got >&2 || fail "without value, a row is not sent as JSON"

# `partition` places each message: Spark's pmod(xxhash64(id), 4), computed
# apart by spark_hash.py. A partition the topic lacks fails the run, naming it.
cat > part.conf <<CONF
runtime = { trigger = "available_now"; };
stages = (
  { name = "in"; source = "kafka"; bootstrap_servers = "$BOOTSTRAP"; subscribe = ["in"]; starting_offsets = "earliest";
    format = "json"; schema = "id LONG, text STRING"; },
  { name = "out"; input = "in"; sink = "kafka"; bootstrap_servers = "$BOOTSTRAP"; topic = "parts";
    key = "CAST(id AS STRING)"; value = "text"; partition = "pmod(xxhash64(id), 4)"; }
);
CONF
"$sluice" run part.conf -q 2>err.txt || fail "the partition pipeline failed"
kcat -C -b "$BOOTSTRAP" -t parts -e -q -f '%k %p\n' | sort -n >parts.got
python3 -c "
import sys; sys.path.insert(0, '$(dirname "$0")')
from spark_hash import xxhash64, pmod
for i in range(600): print(i, pmod(xxhash64(i), 4))" | sort -n >parts.want
diff -u parts.want parts.got >&2 || fail "messages are not in the partitions pmod(xxhash64(id), 4) names"
sed 's/pmod(xxhash64(id), 4)/pmod(id, 7)/; s/name = "out"/name = "wide"/' part.conf >wide.conf
status=0
"$sluice" run wide.conf -q 2>err.txt || status=$?
[ "$status" = 1 ] || fail "a partition the topic lacks: exit $status, expected 1"
grep -q "topic 'parts' has no partition [4-6] (it has 4)" err.txt || fail "the error does not name the missing partition"

# `columns` reads only those columns (the source parses nothing else) and
# ignore_null_fields leaves the unread, null ones out of the JSON.
cat > cols.conf <<CONF
runtime = { trigger = "available_now"; };
stages = (
  { name = "in"; source = "kafka"; bootstrap_servers = "$BOOTSTRAP"; subscribe = ["in"]; starting_offsets = "earliest";
    format = "json"; schema = "id LONG, text STRING, extra STRUCT<a: LONG, b: STRING>"; },
  { name = "out"; input = "in"; sink = "kafka"; bootstrap_servers = "$BOOTSTRAP"; topic = "slim";
    columns = ["text", "extra.b"]; ignore_null_fields = true; }
);
CONF
"$sluice" check cols.conf 2>err.txt | grep -q "reads columns: text, extra.b" || fail "the source does not parse only what columns names"
"$sluice" run cols.conf -q 2>err.txt || fail "the columns pipeline failed"
kcat -C -b "$BOOTSTRAP" -t slim -e -q -f '%s\n' | sort | uniq -c | sed 's/^ *//' >slim.got
printf '200 {"text":"covid news"}\n400 {"text":"other"}\n' >slim.want
diff -u slim.want slim.got >&2 || fail "columns and ignore_null_fields do not give the slim rows"

# kafka_columns beside a parsed value: a stage reads `partition` and `text`,
# and each message's partition is the one Kafka holds it in; the value's
# decoder is asked only for what the value has (no warning about `partition`).
cat > kc.conf <<CONF
runtime = { trigger = "available_now"; };
stages = (
  { name = "in"; source = "kafka"; bootstrap_servers = "$BOOTSTRAP"; subscribe = ["in"]; starting_offsets = "earliest";
    format = "json"; schema = "id LONG, text STRING"; kafka_columns = ["partition", "offset"]; },
  { name = "out"; input = "in"; sink = "kafka"; bootstrap_servers = "$BOOTSTRAP"; topic = "kc";
    value = "concat(CAST(id AS STRING), ' ', CAST(partition AS STRING), ' ', text)"; }
);
CONF
"$sluice" run kc.conf 2>err.txt >/dev/null || fail "the kafka_columns pipeline failed"
grep -q "projection path" err.txt && fail "the value's decoder was asked for a Kafka column"
kcat -C -b "$BOOTSTRAP" -t kc -e -q -f '%s\n' | sort -n >kc.got
kcat -C -b "$BOOTSTRAP" -t in -e -q -f '%p %s\n' | python3 -c '
import json, sys
for line in sys.stdin:
    p, v = line.split(" ", 1)
    r = json.loads(v)
    print(r["id"], p, r["text"])' | sort -n >kc.want
diff -u kc.want kc.got >&2 || fail "kafka_columns do not give each message its partition"

# Headers pass through from a headers column (raw Kafka input with include_headers).
printf 'a\nb\n' | kcat -P -b "$BOOTSTRAP" -t in -H trace=xyz -H n=1
cat > hdr.conf <<CONF
runtime = { trigger = "available_now"; };
stages = (
  { name = "in"; source = "kafka"; bootstrap_servers = "$BOOTSTRAP"; subscribe = ["in"]; include_headers = true;
    starting_offsets = "{\"in\":{\"0\":-1,\"1\":-1,\"2\":-1}}"; },
  { name = "pick"; input = "in"; transform = "filter"; condition = "size(headers) > 0"; },
  { name = "out"; input = "pick"; sink = "kafka"; bootstrap_servers = "$BOOTSTRAP"; topic = "out"; value = "value"; }
);
CONF
"$sluice" run hdr.conf -q 2>err.txt || fail "the headers pipeline failed"
echo "kafka sink: the filtered messages once each, keys and values as the expressions say, rows as JSON"
