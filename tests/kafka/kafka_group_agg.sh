#!/usr/bin/env bash
# An aggregation in a group (runtime.group; README "Scaling out"): three
# members count a 6-partition topic's rows by language in update mode.
# Each member writes its rows to the internal topic g-n-repartition, placed
# by Spark's hash partitioning of the grouping key, and counts the
# partitions of it the group gives it, so every language is counted by
# one member, whole: the last count of each language in the output topic
# is the language's number of rows, computed here in Python. `sluice
# check` shows the hop, and what a group cannot share is still refused.
# Usage: kafka_group_agg.sh SLUICE MOCK_BROKER SOURCE_DIR
sluice=$1
source "$(dirname "$0")/lib.sh" "$2"
start_broker in:6 g-n-repartition:6 g-n-changelog:6 out:1 h-n-repartition:6 keyed:6 g2-n-changelog:6 out2:1
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; cleanup' EXIT

N=30000
python3 - "$N" >msgs <<'PY'
import json, random, sys
random.seed(7)
langs = ["en", "ja", "es", "fr", "de", "pt", "it", "ko", "ar", "tr", "ru", "und"]
for i in range(int(sys.argv[1])):
    lang = random.choices(langs, weights=range(len(langs), 0, -1))[0]
    print(f"{i}\t" + json.dumps({"id": i, "lang": lang}))
PY
cut -f2 msgs | python3 -c '
import collections, json, sys
for lang, n in sorted(collections.Counter(json.loads(l)["lang"] for l in sys.stdin).items()): print(lang, n)' >want

cat > member.conf <<CONF
runtime = { trigger = "300 milliseconds"; checkpoint = "ck"; shuffle_partitions = 6; };
stages = (
  { name = "in"; source = "kafka"; bootstrap_servers = "$BOOTSTRAP"; subscribe = ["in"];
    starting_offsets = "earliest"; format = "json"; schema = "id LONG, lang STRING";
    max_offsets_per_trigger = 2000;
    kafka = ["session.timeout.ms=4000", "heartbeat.interval.ms=300"]; },
  { name = "n"; input = "in"; group_by = ["lang AS language"]; aggregate = ["count(*) AS n"]; },
  { name = "out"; input = "n"; sink = "kafka"; bootstrap_servers = "$BOOTSTRAP"; topic = "out"; output_mode = "update"; }
);
CONF

# The plan shows the hop: the repartition sink, placed by the grouping key,
# and the source the aggregation reads.
"$sluice" check member.conf --group g >plan.txt 2>err.txt || fail "check of the group's plan failed"
grep -q "n-repartition$" plan.txt && grep -q "input: n-repartitioned" plan.txt ||
  fail "the plan does not show the repartition hop"

start_member() {
  "$sluice" run member.conf --group g --member "$1" -v 2>"err_$1.txt" >/dev/null &
  PIDS+=($!)
  eval "PID_$1=$!"
}
takers() { grep -l "of group 'g' takes g-n-repartition" err_*.txt 2>/dev/null | wc -l; }
for m in a b c; do start_member "$m"; done
for _ in $(seq 300); do [ "$(takers)" -ge 3 ] && break; sleep 0.2; done
head -n $((N / 3)) msgs | kcat -P -b "$BOOTSTRAP" -t in -K '	'

got() { # each language's last count in topic $OUT: the largest, counts only grow
  kcat -C -b "$BOOTSTRAP" -t "${OUT:-out}" -e -q 2>/dev/null | python3 -c '
import json, sys
last = {}
for line in sys.stdin:
    r = json.loads(line)
    last[r["language"]] = max(last.get(r["language"], 0), r["n"])
for lang in sorted(last): print(lang, last[lang])'
}
# Until the last counts are WANT-FILE's: exact, unless a member said its
# offsets were not committed (its session timed out on a starved machine),
# when the next owner reads its last batch again: then no count may be
# below (at least once), as kafka_group.sh allows for the same reason.
at_least() { python3 - "$1" got <<'PY'
import sys
want = dict(l.split() for l in open(sys.argv[1]))
got = dict(l.split() for l in open(sys.argv[2]))
sys.exit(0 if want.keys() == got.keys() and all(int(got[k]) >= int(want[k]) for k in want) else 1)
PY
}
counted() { # WANT-FILE SECONDS WHAT
  for _ in $(seq "$2"); do
    got >got
    cmp -s "$1" got && return 0
    if grep -q "not committed" err_*.txt co_*.txt 2>/dev/null && at_least "$1"; then
      echo "$3: counted at least once (a member's session timed out and said so)" >&2
      return 0
    fi
    sleep 1
  done
  diff -u "$1" got >&2
  for f in err_*.txt; do echo "--- $f" >&2; grep -v "batch [0-9]" "$f" | tail -5 >&2; done
  fail "$3: the members' counts are not the languages' numbers of rows"
}
want_of() { head -n "$1" msgs | cut -f2 | python3 -c '
import collections, json, sys
for lang, n in sorted(collections.Counter(json.loads(l)["lang"] for l in sys.stdin).items()): print(lang, n)'; }
want_of $((N / 3)) >want1
counted want1 120 "three members"
[ "$(takers)" = 3 ] || fail "$(takers) members read the repartition topic, expected 3"

# A fourth member joins: repartition partitions move to it, and it restores
# their counts from g-n-changelog before it counts on.
start_member d
for _ in $(seq 300); do grep -q "of group 'g' takes g-n-repartition" err_d.txt && break; sleep 0.2; done
grep -q "of group 'g' takes g-n-repartition" err_d.txt || fail "the fourth member took no repartition partition"
head -n $((2 * N / 3)) msgs | tail -n +$((N / 3 + 1)) | kcat -P -b "$BOOTSTRAP" -t in -K '	'
want_of $((2 * N / 3)) >want2
counted want2 120 "after a fourth member joined"
grep -q "restored [0-9]* groups of partition" err_d.txt || fail "the fourth member restored no state"

# kill -9 one: once its session times out, its partitions move on and their
# counts are restored from the changelog (a batch it had not committed to
# the group may be counted twice: at least once across members).
kill -9 "$PID_b"
tail -n +$((2 * N / 3 + 1)) msgs | kcat -P -b "$BOOTSTRAP" -t in -K '	'
counted want 150 "after kill -9 of a member"

# co_partitioned: an input keyed as the hop would key it (here by a sluice
# kafka sink placing rows by pmod(xxhash64(lang), 6)) is aggregated where it
# is read, without the hop; its partitions are the tasks, with a changelog.
cat > keyed.conf <<CONF
runtime = { trigger = "available_now"; };
stages = (
  { name = "in"; source = "kafka"; bootstrap_servers = "$BOOTSTRAP"; subscribe = ["in"];
    starting_offsets = "earliest"; format = "json"; schema = "id LONG, lang STRING"; },
  { name = "k"; input = "in"; sink = "kafka"; bootstrap_servers = "$BOOTSTRAP"; topic = "keyed";
    partition = "pmod(xxhash64(lang), 6)"; }
);
CONF
"$sluice" run keyed.conf -q 2>err.txt || fail "keying the input failed"
sed 's/subscribe = \["in"\]/subscribe = ["keyed"]/; s/aggregate = \["count(\*) AS n"\];/aggregate = ["count(*) AS n"]; co_partitioned = true;/; s/topic = "out"/topic = "out2"/' \
  member.conf >co.conf
"$sluice" check co.conf --group g2 >plan.txt 2>err.txt || fail "check of a co_partitioned aggregation failed"
grep -q "keyed is keyed for n (co_partitioned)" plan.txt && ! grep -q "n-repartition" plan.txt ||
  fail "a co_partitioned aggregation is planned with a hop"
for m in e f; do
  "$sluice" run co.conf --group g2 --member "$m" -v 2>"co_$m.txt" >/dev/null &
  PIDS+=($!)
done
OUT=out2 counted want 120 "co_partitioned"
[ "$(grep -l "restored [0-9]* groups of partition" co_e.txt co_f.txt | wc -l)" = 2 ] ||
  fail "co_partitioned: the members did not keep their state in the changelog"

# Without its changelog topic a member cannot keep its state: a clear error.
status=0
timeout 90 "$sluice" run member.conf --group h --member x 2>err.txt >/dev/null || status=$?
[ "$status" != 0 ] && [ "$status" != 124 ] || fail "a group without its changelog topic: exit $status"
grep -q "topic 'h-n-changelog' does not exist" err.txt || fail "the error does not name the missing changelog topic"
grep -q "h-n-changelog, which must have 6 partitions" err.txt || fail "the error does not say what the topic needs"

# Keyed state the members cannot share is refused at load, saying why.
sed 's/group_by = \["lang AS language"\]; aggregate = \["count(\*) AS n"\];/transform = "drop_duplicates"; columns = ["id"];/; s/output_mode = "update"; //' member.conf >dedup.conf
status=0
"$sluice" check dedup.conf --group g 2>err.txt >/dev/null || status=$?
[ "$status" = 2 ] || fail "drop_duplicates in a group: exit $status, expected 2"
grep -q "stage 'n' drops duplicates" err.txt || fail "the refusal does not say why"
echo "kafka group aggregation: 3 members count ${N} rows through g-n-repartition, each language whole in one member"
