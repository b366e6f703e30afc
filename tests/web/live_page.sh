#!/usr/bin/env bash
# The live page in headless Chromium: a windowed count runs while
# live_page.mjs writes files into its input, opens http://.../ and checks
# that charts gain points, that the tiles say what /progress says, that the
# plan and the memory table are drawn, that the page says "idle" when data
# stops and "stopped" once the process is gone. The screenshot is kept in
# ARTIFACTS/live_page.png (the README's picture).
# Usage: live_page.sh SLUICE ARTIFACTS
set -euo pipefail
sluice=$1
artifacts=$2
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
  echo "SKIP: no chromium on PATH (make deps installs Debian's chromium)"; exit 77
fi
if ! command -v node >/dev/null || [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "SKIP: playwright-core is not installed in tests/web (make deps runs npm ci there)"; exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-live-page.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; tail -20 err.txt >&2 2>/dev/null; exit 1; }
mkdir in
cat > live.conf <<'CONF'
name = "live_page";
runtime = { trigger = "200 milliseconds"; http = "127.0.0.1:0"; shuffle_partitions = 2; };
stages = (
  { name = "tweets"; source = "file"; path = "in"; schema = "t TIMESTAMP, lang STRING";
    watermark = { column = "t"; delay = "5 seconds"; }; },
  { name = "per_10s"; input = "tweets"; window = { column = "t"; duration = "10 seconds"; };
    group_by = ["lang"]; aggregate = ["count(*) AS n"]; },
  { name = "windows"; input = "per_10s"; sink = "console"; output_mode = "update"; format = "jsonl"; },
  { name = "by_lang"; input = "tweets"; group_by = ["lang"]; aggregate = ["count(*) AS n"]; },
  { name = "langs"; input = "by_lang"; sink = "memory"; query_name = "langs"; output_mode = "complete"; }
);
CONF
"$sluice" run live.conf >out.txt 2>err.txt &
pid=$!
addr=
for _ in $(seq 1 200); do
  addr=$(sed -n 's|.*on http://\(127\.0\.0\.1:[0-9]*\).*|\1|p' err.txt)
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || fail "the pipeline exited"
  sleep 0.05
done
[ -n "$addr" ] || fail "the pipeline did not serve"
mkdir -p "$artifacts"
node "$here/live_page.mjs" "http://$addr" "$work/in" "$pid" "$chromium" \
  "$artifacts/live_page.png" || fail "the live page"
pid=
