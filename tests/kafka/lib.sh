# Shared by the Kafka tests: a scratch directory and a mock broker on
# loopback (mock_broker.c), both gone when the test ends however it ends.
#   source lib.sh MOCK_BROKER_BINARY
#   start_broker topic:partitions...   sets $BOOTSTRAP
#   broker_cmd "down 1"                a command to the running broker
#   fail "why"                         exit 1, showing err.txt if there is one
set -euo pipefail
command -v kcat >/dev/null || { echo "kcat not installed (make deps installs it)" >&2; exit 1; }
MOCK_BROKER=$1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-kafka.XXXXXX")
cd "$WORK"
BROKER_PID=
cleanup() {
  [ -n "$BROKER_PID" ] && { echo quit >&9 2>/dev/null || true; kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; }
  if [ -n "${SLUICE_KEEP_TEST_DIR:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; tail -20 err.txt >&2; }; exit 1; }
start_broker() {
  mkfifo broker.in broker.out
  local args=()
  for t in "$@"; do args+=(--topic "$t"); done
  "$MOCK_BROKER" "${args[@]}" <broker.in >broker.out &
  BROKER_PID=$!
  exec 9>broker.in 8<broker.out
  read -r BOOTSTRAP <&8 || fail "the mock broker did not start"
}
broker_cmd() { echo "$1" >&9; local answer; read -r answer <&8; [ "$answer" = ok ] || fail "broker: $1: $answer"; }
