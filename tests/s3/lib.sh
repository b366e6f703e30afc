# Shared by the s3 tests: a scratch directory, servers on loopback, an
# uploader; everything is gone when the test ends, however it ends (each
# server also exits when its stdin, a pipe from this shell, closes).
#   source lib.sh SLUICE
#   start_fake [fake_s3.py options]   sets FAKE (http://127.0.0.1:PORT); buckets are folders of $WORK/fake
#   start_s3rver BUCKET...            sets S3RVER (exit 77 without node or s3rver, as ctest's skip)
#   put FILE BUCKET/KEY               uploads to s3rver through its S3 API
#   fault 'status=503&count=2&...'    arms a fault in fake_s3.py
#   expect STATUS MESSAGE ARGS...     sluice ARGS exits STATUS and says MESSAGE on stderr
#   fail "why"                        exit 1, showing err.txt if there is one
set -euo pipefail
SLUICE=$(readlink -f "$1")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-s3.XXXXXX")
cd "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; tail -20 err.txt >&2; }; exit 1; }
# No credentials or config of the machine's may leak into a test.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION
export AWS_SHARED_CREDENTIALS_FILE=$WORK/no-credentials HOME=$WORK

# Start "$@" with its stdin a pipe from this shell; its first line of
# stdout (the port) goes to the variable named by $1.
start_server() {
  local var=$1 log=$2
  shift 2
  mkfifo "$log.in"
  "$@" <"$log.in" >"$log" 2>"$log.err" &
  PIDS+=($!)
  exec {fd}>"$log.in"
  local port=
  for _ in $(seq 1 200); do
    port=$(head -1 "$log" 2>/dev/null || true)
    [ -n "$port" ] && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$port" ] || { cat "$log.err" >&2; fail "$* did not start"; }
  printf -v "$var" 'http://127.0.0.1:%s' "$port"
}

start_fake() {
  mkdir -p fake
  start_server FAKE fake.log python3 "$HERE/fake_s3.py" "$WORK/fake" "$@"
}

start_s3rver() {
  if ! command -v node >/dev/null || [ ! -d "$HERE/node_modules/s3rver" ]; then
    echo "SKIP: s3rver is not installed in tests/s3 (make deps runs npm ci there)"
    exit 77
  fi
  mkdir -p s3rver-data
  NODE_OPTIONS=--openssl-legacy-provider start_server S3RVER s3rver.log node "$HERE/s3rver.js" "$WORK/s3rver-data" "$@"
}

S3CURL=(curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER
        -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
put() { "${S3CURL[@]}" -o /dev/null -T "$1" "$S3RVER/$2" || fail "cannot upload $1 to $2"; }
# Upload every file of DIR under BUCKET/PREFIX/, in one curl (one connection).
put_dir() {
  local dir=$1 dest=$2
  for f in "$dir"/*; do printf 'upload-file = "%s"\nurl = "%s/%s/%s"\n' "$f" "$S3RVER" "$dest" "${f##*/}"; done >put.cfg
  "${S3CURL[@]}" -K put.cfg -o /dev/null || fail "cannot upload $dir to $dest"
}

fault() { curl -sS -X POST -o /dev/null "$FAKE/__fault?$1" || fail "cannot arm the fault $1"; }

expect() {
  local want=$1 msg=$2 status=0
  shift 2
  "$SLUICE" "$@" >out.txt 2>err.txt || status=$?
  [ "$status" = "$want" ] || fail "$*: exit status $status, expected $want"
  grep -qF -- "$msg" err.txt || fail "$*: stderr lacks: $msg"
}
