#!/usr/bin/env bash
# (The mock broker takes a rebalance session.timeout.ms - 1 s long: the
# members' session is 4 s here, so that rebalances and a kill take seconds.
# A member whose session times out on a loaded machine is out of the group
# until it rejoins, and the next owner of its partitions may read its last
# batch again: then, and only then, it says so, and a message may be
# written twice.)
# Scale-out over a Kafka consumer group (runtime.group): members running one
# config share a 6-partition topic. Two members split it and, between them,
# write every message once; a third joins and takes partitions over without
# a message lost or repeated; one is killed with SIGKILL and the others take
# its partitions, so every message is still written (at least once across
# members). A member of a group with fewer partitions than members stands
# by and says so; a member running another pipeline is refused, naming the
# difference; what a group cannot share is refused at load.
# Usage: kafka_group.sh SLUICE MOCK_BROKER SOURCE_DIR
sluice=$1
source "$(dirname "$0")/lib.sh" "$2"
start_broker in:6 one:1
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; cleanup' EXIT

produce() { # FROM TO: messages {"id":i} keyed by i, spread over the partitions by key
  python3 -c "
import json, sys
for i in range($1, $2): print(f'{i}\t' + json.dumps({'id': i, 'text': 'covid' if i % 2 == 0 else 'other'}))" |
    kcat -P -b "$BOOTSTRAP" -t in -K '	'
}
cat > member.conf <<CONF
runtime = { trigger = "200 milliseconds"; checkpoint = "ck"; };
stages = (
  { name = "in"; source = "kafka"; bootstrap_servers = "$BOOTSTRAP"; subscribe = ["in"];
    starting_offsets = "earliest"; format = "json"; schema = "id LONG, text STRING";
    kafka = ["session.timeout.ms=4000", "heartbeat.interval.ms=300"]; },
  { name = "covid"; input = "in"; transform = "filter"; condition = "text = 'covid'"; },
  { name = "out"; input = "covid"; sink = "file"; path = "out"; }
);
CONF
start_member() { # NAME [CONFIG]
  "$sluice" run "${2:-member.conf}" --group g --member "$1" --set out.path="out_$1" \
    --set runtime.progress_log="\"p_$1.log\"" -v 2>"err_$1.txt" >/dev/null &
  PIDS+=($!)
  eval "PID_$1=$!"
}
ids() { # the ids every member's committed output holds, one per line, sorted
  for d in out_*; do [ -d "$d" ] && "$sluice" cat "$d" 2>/dev/null; done | python3 -c '
import json, sys
for line in sys.stdin: print(json.loads(line)["id"])' | sort -n
}
want() { python3 -c "print('\n'.join(str(i) for i in range($1, $2, 2)))"; }
wait_for() { # N SECONDS: until the members wrote N distinct ids
  for _ in $(seq $(( $2 * 5 ))); do
    [ "$(ids | uniq | wc -l)" -ge "$1" ] && return 0
    sleep 0.2
  done
  ids | uniq | wc -l >&2
  for f in err_*.txt; do echo "--- $f" >&2; tail -5 "$f" >&2; done
  fail "the members did not write $1 ids in $2 s"
}

# Two members split the partitions and write every message once.
start_member a
start_member b
produce 0 600
wait_for 300 90
once_unless_told() { # WANT GOT WHAT: every message once, or at least once if a member said why
  if ! diff -q "$1" "$2" >/dev/null; then
    uniq "$2" | diff -u "$1" - >&2 || fail "$3: messages are missing"
    grep -q "not committed" err_*.txt || fail "$3: messages written twice, and no member said why"
  fi
}
ids >got1
want 0 600 >want1
once_unless_told want1 got1 "two members"
for m in a b; do
  grep -q "member '$m' of group 'g' takes" "err_$m.txt" || fail "member $m took no partitions"
  [ -n "$(ls out_$m 2>/dev/null)" ] || fail "member $m wrote nothing"
done
# Progress names the group and the member; each member's offsets are its
# own partitions, and together they are the topic's.
python3 - p_a.log p_b.log <<'PY' || fail "progress does not show each member's own partitions"
import json, sys
seen = []
for path in sys.argv[1:]:
    last = [json.loads(l) for l in open(path)][-1]
    assert last["group"] == "g" and last["member"] == path[2], last
    end = last["sources"][0]["endOffset"]
    seen += list((json.loads(end) if isinstance(end, str) else end)["in"])
assert sorted(seen) == [str(p) for p in range(6)], seen
PY

# A third member joins: partitions move, nothing is lost or read twice.
start_member c
for _ in $(seq 300); do grep -q "member 'c' of group 'g' takes" err_c.txt && break; sleep 0.2; done
grep -q "member 'c' of group 'g' takes" err_c.txt || fail "the third member took no partitions"
produce 600 1200
wait_for 600 90
ids >got2
want 0 1200 >want2
once_unless_told want2 got2 "after a member joined"

# kill -9 one: after its session times out its partitions move on, and
# every message is written (a batch the killed member had not committed to
# the group may be written twice).
kill -9 "$PID_b"
produce 1200 1800
wait_for 900 120
ids | uniq >got3
want 0 1800 >want3
diff -u want3 got3 >&2 || fail "after kill -9 of a member: messages are missing"
grep -q "hands over\|takes" err_a.txt err_c.txt || fail "no partition moved after the kill"

# A member running another pipeline is refused when it receives partitions,
# naming the difference (the committed offsets carry the fingerprint).
sed 's/name = "in"; source/name = "input"; source/; s/input = "in";/input = "input";/' member.conf >other.conf
kill "$PID_a" "$PID_c"
wait "$PID_a" "$PID_c" 2>/dev/null || true
status=0
timeout 60 "$sluice" run other.conf --group g --member d --set out.path=out_d -q 2>err.txt || status=$?
[ "$status" = 2 ] || fail "a member with another pipeline: exit $status, expected 2"
grep -q "member 'd' runs another pipeline than the members of group 'g' before it" err.txt ||
  fail "the refusal does not say the pipelines differ"
grep -q "source" err.txt || fail "the refusal does not name the difference"

# Fewer partitions than members: one member stands by and says so.
sed 's/subscribe = \["in"\]/subscribe = ["one"]/' member.conf >one.conf
for m in x y; do
  "$sluice" run one.conf --group g1 --member "$m" --set out.path="one_$m" 2>"err_$m.txt" >/dev/null &
  PIDS+=($!)
done
for _ in $(seq 150); do grep -q "has no partition to read" err_x.txt err_y.txt && break; sleep 0.2; done
grep -q "has no partition to read" err_x.txt err_y.txt || fail "no member said it stands by"

# What a group cannot share is refused at load (exit 2), saying why.
check_refused() { # WHAT EXPECTED-TEXT CONFIG...
  local what=$1 text=$2
  shift 2
  status=0
  "$sluice" check "$@" 2>err.txt >/dev/null || status=$?
  [ "$status" = 2 ] || fail "$what: exit $status, expected 2"
  grep -q "$text" err.txt || fail "$what: the error does not say '$text'"
}
sed 's/subscribe = \["in"\];/assign = "{\\"in\\":[0]}";/' member.conf >assign.conf
check_refused "assign in a group" "give subscribe or subscribe_pattern" assign.conf --group g
mkdir -p files
cat > file.conf <<CONF
runtime = { trigger = "1 second"; group = "g"; };
stages = ( { name = "f"; source = "file"; path = "files"; format = "json"; schema = "id LONG"; },
           { name = "o"; input = "f"; sink = "console"; } );
CONF
check_refused "a file source in a group" "source 'f' (file) cannot share its input" file.conf
sed 's/trigger = "200 milliseconds"/trigger = "once"/' member.conf >once.conf
check_refused "trigger once in a group" "does not go with it" once.conf --group g
cat > dedup.conf <<CONF
runtime = { trigger = "1 second"; };
stages = (
  { name = "in"; source = "kafka"; bootstrap_servers = "$BOOTSTRAP"; subscribe = ["in"]; format = "json";
    schema = "id LONG, text STRING"; },
  { name = "n"; input = "in"; transform = "drop_duplicates"; columns = ["text"]; },
  { name = "o"; input = "n"; sink = "console"; }
);
CONF
check_refused "drop_duplicates in a group" "stage 'n' drops duplicates" dedup.conf --group g
check_refused "--member without a group" "set runtime.group too" member.conf --member m
echo "kafka group: members split the partitions, every message once; a join moves partitions without loss;" \
     "after kill -9 the others take over; another pipeline, a standby member and unsharable pipelines are told apart"
