#!/usr/bin/env bash
# The REST server under a slowloris: 1,200 connections from one address
# (127.0.0.2) each send half a request and wait. A real client on another
# address (127.0.0.1) must still get /progress within two seconds, the
# stream must go on, and the log must not get a line per refused
# connection. Before epoll and the connection limits, libmicrohttpd polled
# with select(): past FD_SETSIZE every connection, the real one too, was
# dropped with one warning each.
# Usage: http_hostile_clients.sh SLUICE
set -euo pipefail
sluice=$1
# More descriptors than select() can watch, for the server and the attacker.
ulimit -n 4096 2>/dev/null || { echo "skip: cannot raise ulimit -n to 4096"; exit 77; }
# The attacker needs a second loopback address (Linux routes all of 127/8).
python3 -c 'import socket; socket.socket().bind(("127.0.0.2", 0))' 2>/dev/null ||
  { echo "skip: cannot bind 127.0.0.2"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-hostile.XXXXXX")
pid=
attacker=
cleanup() {
  [ -n "$attacker" ] && kill "$attacker" 2>/dev/null
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
mkdir in
cat > pipeline.conf <<'CONF'
name = "hostile";
runtime = { trigger = "100 milliseconds"; http = "127.0.0.1:0"; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "lang STRING"; },
  { name = "raw"; input = "rows"; sink = "memory"; query_name = "raw"; }
);
CONF

fail() { echo "FAIL: $*" >&2; echo "--- pipeline stderr (first 20 lines):" >&2; head -20 err.txt >&2; exit 1; }

"$sluice" run pipeline.conf >out.txt 2>err.txt &
pid=$!
port=
for _ in $(seq 1 200); do
  port=$(sed -n 's|.*serving memory tables and progress on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' err.txt)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "the pipeline exited before serving"
  sleep 0.05
done
[ -n "$port" ] || fail "no 'serving ... on http://' line within 10 s"

# The attacker: connects from 127.0.0.2, sends half a request on each
# connection, says how many it opened, and holds them until killed.
cat > attack.py <<'PY'
import resource, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 100)), hard))
held = []
for _ in range(n):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /progress HTTP/1.1\r\nHost: x\r\n")
    except OSError:
        s.close()
        continue
    held.append(s)
print(len(held), flush=True)
time.sleep(60)
PY
python3 attack.py "$port" 1200 > attack.txt &
attacker=$!
for _ in $(seq 1 400); do
  [ -s attack.txt ] && break
  sleep 0.05
done
[ -s attack.txt ] || fail "the attacker did not finish connecting within 20 s"

# The real client, from 127.0.0.1, with a two-second budget.
cat > client.py <<'PY'
import socket, sys, time
port = int(sys.argv[1])
t0 = time.monotonic()
s = socket.create_connection(("127.0.0.1", port), timeout=2)
s.sendall(b"GET /progress HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
status = data.split(b"\r\n", 1)[0].decode(errors="replace")
print(status)
print("%.3f" % (time.monotonic() - t0))
PY
python3 client.py "$port" > client.txt 2>&1 || true
status_line=$(sed -n 1p client.txt)
seconds=$(sed -n 2p client.txt)
[ "$status_line" = "HTTP/1.1 200 OK" ] || fail "the real client got '$(cat client.txt)' with $(cat attack.txt) connections held"
awk -v s="$seconds" 'BEGIN { exit !(s < 2.0) }' || fail "the real client waited $seconds s"

# The stream goes on while the attack holds.
printf '{"lang":"en"}\n' > in/.a.tmp && mv in/.a.tmp in/a.json
ok=
for _ in $(seq 1 100); do
  [ "$("$sluice" query --http "127.0.0.1:$port" raw --format jsonl 2>/dev/null)" = '{"lang":"en"}' ] && { ok=1; break; }
  sleep 0.05
done
[ -n "$ok" ] || fail "the table did not get the new row while the attack held"

# A log line per refused connection would be over a thousand.
lines=$(grep -c 'http:' err.txt || true)
[ "$lines" -le 20 ] || fail "$lines http log lines for one attack"

kill "$attacker" 2>/dev/null; attacker=
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[ "$status" = 0 ] || fail "exit status $status after SIGTERM"
echo "ok hostile clients: $(cat attack.txt) half-sent connections opened, /progress answered in $seconds s, $lines log lines"
