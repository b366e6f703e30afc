# tests/e2e/lib.sh — helpers the scripted end-to-end cases share. A script
# sets `sluice` (the binary) and its work directory, then sources this.
#   fail MSG            print MSG and the last stderr (err.txt), exit 1
#   crash_run AT CONF   run CONF with SLUICE_TEST_CRASH_AT=AT: it must die by SIGKILL there
#   expect2 WANT ARGS   `sluice check ARGS` must exit 2 with WANT in its stderr
#                       (its stdout is left in check.txt)

fail() {
  echo "FAIL: $*" >&2
  [ -f err.txt ] && { echo "--- last stderr:" >&2; cat err.txt >&2; }
  exit 1
}

crash_run() {
  local status
  status=$( { SLUICE_TEST_CRASH_AT=$1 "$sluice" run "$2" -q 2>err.txt; echo $?; } 2>/dev/null )
  [ "$status" = 137 ] || fail "SLUICE_TEST_CRASH_AT=$1: exit status $status, expected 137 (killed)"
}

expect2() {
  local want=$1; shift
  local status=0
  "$sluice" check "$@" >check.txt 2>err.txt || status=$?
  [ "$status" = 2 ] || fail "check $*: exit $status, expected 2"
  grep -qF -- "$want" err.txt || fail "check $*: stderr lacks: $want"
}
