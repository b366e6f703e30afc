#!/usr/bin/env bash
# Late rows kept through a crash: an aggregation's late rows go to a file
# sink (late_output) under a checkpoint; killed with SIGKILL while the
# sinks hold the batch that has them, and restarted, the committed late
# rows are each there once, as the rows they were.
# Usage: late_output_exactly_once.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-late.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && cat err.txt >&2; exit 1; }
mkdir in
printf '{"t":"2021-01-01T00:00:10Z","id":1}\n{"t":"2021-01-01T00:00:31Z","id":2}\n' >in/a.json
printf '{"t":"2021-01-01T00:00:15Z","id":3}\n{"t":"2021-01-01T00:00:33Z","id":4}\n{"t":"2021-01-01T00:00:05Z","id":5}\n' >in/b.json
cat > p.conf <<'CONF'
runtime = { trigger = "available_now"; checkpoint = "ck"; };
stages = (
  { name = "in"; source = "file"; path = "in"; schema = "t TIMESTAMP, id LONG"; max_files_per_trigger = 1;
    watermark = { column = "t"; delay = "5 seconds"; }; },
  { name = "w"; input = "in"; window = { column = "t"; duration = "10 seconds"; };
    aggregate = ["count(*) AS n"]; late_output = "late"; },
  { name = "out"; input = "w"; sink = "file"; path = "counts"; },
  { name = "late"; sink = "file"; path = "late"; }
);
CONF
status=$( { SLUICE_TEST_CRASH_AT=sink:1 "$sluice" run p.conf -q 2>err.txt; echo $?; } 2>/dev/null )
[ "$status" = 137 ] || fail "exit status $status, expected 137 (killed)"
"$sluice" run p.conf -q 2>err.txt || fail "the restart failed"
"$sluice" cat late >got 2>err.txt || fail "cat late"
printf '{"t":"2021-01-01T00:00:15.000Z","id":3}\n{"t":"2021-01-01T00:00:05.000Z","id":5}\n' >want
diff -u want got >&2 || fail "the late rows are not there once each"
echo "late rows: both once in the file sink across a kill -9"
