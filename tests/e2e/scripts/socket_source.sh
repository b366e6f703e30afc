#!/usr/bin/env bash
# Spark's socket source against a server on 127.0.0.1: every line the server
# sends comes out once, in order, as `value` (CRLF and a last line without
# its line end included), with a `timestamp` of when it arrived; a server
# that closes the connection gets a warning, not a crash; a server that is
# not there is a clear error (exit 1).
# Usage: socket_source.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-socket.XXXXXX")
cd "$work"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; for f in err.txt out.jsonl; do [ -f $f ] && { echo "--- $f" >&2; cat $f >&2; }; done; exit 1; }

# The server: listens on a free port (written to port.txt), sends two bursts, closes.
cat > server.py <<'PY'
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(1)
open("port.txt", "w").write(str(s.getsockname()[1]))
c, _ = s.accept()
c.sendall(b"hello world\nsecond line\r\n")
time.sleep(0.5)
c.sendall("caf\u00e9 \u2603\n".encode() + b"last, without its line end")
time.sleep(0.3)
c.close()
PY
python3 server.py & pids+=($!)
for _ in $(seq 50); do [ -s port.txt ] && break; sleep 0.1; done
port=$(cat port.txt)
cat > pipeline.conf <<CONF
runtime = { trigger = "0 seconds"; };
stages = (
  { name = "lines"; source = "socket"; host = "127.0.0.1"; port = $port; include_timestamp = true; },
  { name = "out"; input = "lines"; sink = "console"; format = "jsonl"; }
);
CONF
"$sluice" run pipeline.conf >out.jsonl 2>err.txt & pids+=($!)
for _ in $(seq 100); do [ "$(wc -l <out.jsonl)" -ge 4 ] && grep -q 'stream closed' err.txt && break; sleep 0.1; done
kill -TERM "${pids[1]}"; wait "${pids[1]}" || fail "sluice run ended with status $?"
python3 - <<'PY' || fail "output differs"
import json, sys
rows = [json.loads(l) for l in open("out.jsonl")]
want = ["hello world", "second line", "caf\u00e9 \u2603", "last, without its line end"]
got = [r["row"]["value"] for r in rows]
if got != want: sys.exit(f"values {got}, expected {want}")
if any(not r["row"]["timestamp"].endswith("Z") for r in rows): sys.exit("a timestamp is missing")
if rows[0]["batch_id"] == rows[-1]["batch_id"]: sys.exit("both bursts came in one batch")
PY
grep -q "stream closed by 127.0.0.1:$port" err.txt || fail "no warning that the server closed the stream"

# Nobody listening: a clear error, exit 1.
status=0
"$sluice" run pipeline.conf >/dev/null 2>err.txt || status=$?
[ "$status" = 1 ] || fail "no server: exit status $status, expected 1"
grep -q "cannot connect to 127.0.0.1:$port: Connection refused" err.txt || fail "no server: unclear error"
echo "socket source: 4 lines in 2 batches, closed stream warned, missing server refused"
