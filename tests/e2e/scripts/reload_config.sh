#!/usr/bin/env bash
# Reloading a running pipeline (SIGHUP, POST /reload): a stateless change
# (a wider filter, a new memory sink) applies from the next batch with the
# aggregation's state kept; a change that would invalidate the state (a
# grouping key added), a config that does not load, and a pipeline without
# a checkpoint are refused with the reason while the old pipeline runs on.
# Counts worked out by hand below.
# Usage: reload_config.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-reload.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; echo "--- stderr" >&2; cat err.txt >&2 2>/dev/null; echo "--- stdout" >&2; cat out.txt >&2 2>/dev/null; exit 1; }
put() { printf "$2" >"in/.$1" && mv "in/.$1" "in/$1"; }
# Wait until FILE has a line matching PATTERN.
wait_for() {
  for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  fail "no line matching '$2' in $1"
}
pipeline() { # FILTER GROUP_BY EXTRA_STAGES
  cat > p.conf <<CONF
name = "reload";
runtime = { trigger = "100 milliseconds"; checkpoint = "ckpt"; http = "127.0.0.1:0"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "lang STRING, n INT"; },
  { name = "kept"; input = "rows"; transform = "filter"; condition = "$1"; },
  { name = "by_lang"; input = "kept"; group_by = $2; aggregate = ["count(*) AS c", "sum(n) AS s"]; },
  { name = "out"; input = "by_lang"; sink = "console"; output_mode = "update"; format = "jsonl"; }$3
);
CONF
}
mkdir in
pipeline "lang = 'en'" '["lang"]' ""
"$sluice" run p.conf >out.txt 2>err.txt &
pid=$!
wait_for err.txt "on http://"
addr=$(sed -n 's|.*on http://\(127\.0\.0\.1:[0-9]*\).*|\1|p' err.txt)

# Batch 0: only en passes: en c=2 s=3.
put a.json '{"lang":"en","n":1}\n{"lang":"en","n":2}\n{"lang":"fr","n":3}\n'
wait_for out.txt '"c":2'

# A wider filter and a new sink: accepted, applied after the batch.
pipeline "lang IN ('en', 'fr')" '["lang"]' ',
  { name = "seen"; input = "kept"; sink = "memory"; query_name = "seen"; }'
kill -HUP "$pid"
wait_for err.txt "reload accepted (SIGHUP)"
wait_for err.txt "reloading p.conf"
# The state went on: en 2+1 rows (s 3+4), fr only from now on.
put b.json '{"lang":"en","n":4}\n{"lang":"fr","n":5}\n'
wait_for out.txt '"lang":"fr"'
for _ in $(seq 1 100); do
  curl -sf "http://$addr/tables/seen" > seen.json && grep -q '"fr"' seen.json && break
  sleep 0.05
done
python3 - <<'PY' || fail "the new sink's rows"
import json
rows = sorted((r["lang"], r["n"]) for r in json.load(open("seen.json"))["rows"])
assert rows == [("en", 4), ("fr", 5)], rows
PY
cp p.conf good.conf

# A config that loads but cannot start (two output modes on one aggregate
# stage, found when opening): sluice goes back to the previous config.
pipeline "lang IN ('en', 'fr')" '["lang"]' ',
  { name = "totals"; input = "by_lang"; sink = "memory"; query_name = "totals"; output_mode = "complete"; }'
kill -HUP "$pid"
wait_for err.txt "the reloaded config cannot start, going back to the previous one"
wait_for err.txt "reloading p.conf"

# A grouping key added: refused, naming the change; the old pipeline runs on.
# (Going back to the previous config may still be under way, slowly under a
# sanitizer: a SIGHUP then is refused as "not running"; ask again.)
pipeline "lang IN ('en', 'fr')" '["lang", "n"]' ""
want='reload refused: the change would invalidate the saved state: by_lang.group_by changed from \["lang"\] to \["lang","n"\]'
for _ in $(seq 1 50); do
  busy=$(grep -c "not running" err.txt || true)
  kill -HUP "$pid"
  for _ in $(seq 1 40); do
    grep -q "$want" err.txt && break 2
    [ "$(grep -c "not running" err.txt || true)" -gt "$busy" ] && break
    sleep 0.05
  done
  sleep 0.1
done
wait_for err.txt "$want"
put c.json '{"lang":"en","n":6}\n'
wait_for out.txt '"c":4'

# A config that does not load: 409 with where it is; still running.
printf 'name = "reload";\nstages = ( { name = "x" ;\n' > p.conf
code=$(curl -s -o post.json -w '%{http_code}' -X POST "http://$addr/reload")
[ "$code" = 409 ] || fail "POST /reload of a broken config: HTTP $code $(cat post.json)"
python3 -c 'import json; e = json.load(open("post.json")); assert e["file"] == "p.conf" and e["line"] == 3 and "syntax error" in e["error"], e' \
  || fail "the refusal does not say where: $(cat post.json)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/reload")
[ "$code" = 405 ] || fail "GET /reload: HTTP $code"

# The good config again, by POST: accepted.
cp good.conf p.conf
code=$(curl -s -o post.json -w '%{http_code}' -X POST "http://$addr/reload")
[ "$code" = 202 ] || fail "POST /reload: HTTP $code $(cat post.json)"
wait_for err.txt "reload accepted (POST /reload)"
[ "$(grep -c 'reloading p.conf' err.txt)" = 3 ] || sleep 0.5
[ "$(grep -c 'reloading p.conf' err.txt)" = 3 ] || fail "the third reload did not happen"
put d.json '{"lang":"fr","n":7}\n'
wait_for out.txt '"s":12'
kill -TERM "$pid"
wait "$pid" || fail "exit status $?"
pid=

# Every update, batch after batch, exactly once.
python3 - <<'PY' || fail "the updates"
import json
got = {}
for r in map(json.loads, open("out.txt")):
    got.setdefault(r["batch_id"], set()).add((r["row"]["lang"], r["row"]["c"], r["row"]["s"]))
want = [{("en", 2, 3)}, {("en", 3, 7), ("fr", 1, 5)}, {("en", 4, 13)}, {("fr", 2, 12)}]
assert [got[k] for k in sorted(got)] == want, got
PY

# Without a checkpoint a reload would start over: refused.
cat > nock.conf <<'CONF'
name = "no_checkpoint";
runtime = { trigger = "100 milliseconds"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "lang STRING, n INT"; },
  { name = "out"; input = "rows"; sink = "console"; format = "jsonl"; }
);
CONF
rm -f in/*
: > err.txt
"$sluice" run nock.conf >out.txt 2>err.txt &
pid=$!
sleep 0.3
kill -HUP "$pid"
wait_for err.txt "reload refused: the pipeline has no runtime.checkpoint"
put e.json '{"lang":"de","n":8}\n'
wait_for out.txt '"lang":"de"'
kill -TERM "$pid"
wait "$pid" || fail "exit status $?"
pid=
echo "reload: ok"
