#!/usr/bin/env bash
# Run one end-to-end case: the real sluice binary on real files.
#
# A case is a folder tests/e2e/<case>/ holding:
#   args              the sluice arguments, one line (default: "run pipeline.conf")
#   pipeline.conf     the pipeline (paths are relative to the case's scratch copy)
#   input/ ...        fixture files, copied as they are
#   setup.sh          optional: prepares more input (runs in the scratch copy with
#                     $SLUICE, $SLUICE_BUILD_DIR and $SLUICE_SOURCE_DIR set)
#   expected.stdout   optional: stdout must equal this file exactly
#   expected.stderr   optional: every line must appear somewhere in stderr
#   expected.status   optional: the exit status (default 0)
#   verify.py         optional: run as `python3 verify.py stdout_file` in the scratch copy
#                     to check output against an independent computation; exit 0 = pass
# @BUILD@ and @SRC@ in args are replaced by the build and source directories.
#
# Usage: run_case.sh CASE_DIR SLUICE_BINARY [THREADS]
# With THREADS, `run` commands get --set runtime.threads=THREADS, so every
# case is checked on the serial and the parallel path.
set -euo pipefail

case_dir=$(cd "$1" && pwd)
export SLUICE=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
threads=${3:-}
build_dir=$(dirname "$SLUICE")
src_dir=$(cd "$(dirname "$0")/../../.." && pwd)
name=$(basename "$case_dir")

work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-e2e-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R "$case_dir"/. "$work"/
cd "$work"

export SLUICE_BUILD_DIR="$build_dir" SLUICE_SOURCE_DIR="$src_dir"
if [ -f setup.sh ]; then
  bash setup.sh
fi

args="run pipeline.conf"
[ -f args ] && args=$(sed -e "s#@BUILD@#$build_dir#g" -e "s#@SRC@#$src_dir#g" args)
# shellcheck disable=SC2206
argv=($args)
if [ -n "$threads" ] && [ "${argv[0]}" = run ]; then
  argv+=(--set "runtime.threads=$threads")
fi

status=0
"$SLUICE" "${argv[@]}" >actual.stdout 2>actual.stderr </dev/null || status=$?

want_status=0
[ -f expected.status ] && want_status=$(cat expected.status)
fail=0
if [ "$status" != "$want_status" ]; then
  echo "FAIL $name: exit status $status, expected $want_status" >&2
  fail=1
fi
if [ -f expected.stdout ] && ! diff -u expected.stdout actual.stdout >&2; then
  echo "FAIL $name: stdout differs (- expected, + actual)" >&2
  fail=1
fi
if [ -f expected.stderr ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    [ -z "$line" ] && continue
    if ! grep -qF -- "$line" actual.stderr; then
      echo "FAIL $name: stderr lacks: $line" >&2
      fail=1
    fi
  done <expected.stderr
fi
if [ -f verify.py ] && [ "$fail" = 0 ]; then
  python3 verify.py actual.stdout >&2 || { echo "FAIL $name: verify.py" >&2; fail=1; }
fi
if [ "$fail" != 0 ]; then
  echo "--- stderr of: sluice ${argv[*]}" >&2
  head -c 4000 actual.stderr >&2
  exit 1
fi
echo "ok $name${threads:+ (threads=$threads)}"
