"""Scale-out over a Kafka consumer group: 1 member, then 2, each pinned to a
core of its own (taskset), reading the same topic as one group.

Starts the tests' mock broker (librdkafka's mock cluster, on loopback; it
shares the two cores with the members, so the figures are a floor), produces
--files x 10,000 tweets of the lab's data set into --partitions partitions,
then for each member count starts that many `sluice run --group` processes
(a new group each time, starting_offsets earliest) of a stateless pipeline
(the lab's schema, a filter on lang, a file sink per member) and waits until
their progress logs account for every message. Prints, per member count:
  - total: from the start of the processes to the last message (includes
    joining the group: the mock broker holds a first join 3 s);
  - steady: rows over the time between the first and the last batch that
    read rows, summed over the members' batches: the processing rate;
  - rows/s, MB/s (steady) and each member's peak RSS.

    python3 tests/bench/kafka_group.py [--sluice build/sluice] [--broker build/tests/mock_broker]
                                       [--partitions 40] [--files 20] [--members 1,2]
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

from bench import ROOT, generate


def progress(path):
    """The batches of one member's progress log: (start s, end s, rows)."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            try:
                p = json.loads(line)
            except ValueError:
                continue  # a line being written
            rows = p.get("numInputRows", 0)
            dur = p.get("durationMs", {}).get("triggerExecution", 0) / 1000.0
            end = time.mktime(time.strptime(p["timestamp"][:19], "%Y-%m-%dT%H:%M:%S")) + \
                float("0." + p["timestamp"][20:23]) + dur
            out.append((end - dur, end, rows))
    return out


def run(sluice, conf, members, rows, work, group):
    procs, logs, rss = [], [], []
    t0 = time.monotonic()
    for m in range(members):
        log, rss_file = os.path.join(work, f"{group}-{m}.progress"), os.path.join(work, f"{group}-{m}.rss")
        argv = ["taskset", "-c", str(m % os.cpu_count()), "/usr/bin/time", "-f", "%M", "-o", rss_file,
                sluice, "run", conf, "--group", group, "--member", f"m{m}", "-q",
                "--set", f"runtime.progress_log=\"{log}\"", "--set", f"runtime.checkpoint=\"{work}/{group}-ck\"",
                "--set", f"out.path=\"{work}/{group}-out-{m}\""]
        procs.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        logs.append(log)
        rss.append(rss_file)
    batches = []
    while time.monotonic() - t0 < 600:
        batches = [b for log in logs for b in progress(log)]
        if sum(b[2] for b in batches) >= rows:
            break
        if any(p.poll() is not None for p in procs):
            sys.exit(f"a member stopped early (exit {[p.poll() for p in procs]})")
        time.sleep(0.2)
    total = time.monotonic() - t0
    for p in procs:  # stop sluice, the child of /usr/bin/time, which then writes its peak RSS
        subprocess.run(["pkill", "-TERM", "-P", str(p.pid)])
    for p in procs:
        p.wait()
    read = [b for b in batches if b[2] > 0]
    got = sum(b[2] for b in read)
    if got != rows:
        sys.exit(f"{members} member(s) read {got} rows, not {rows}")
    steady = max(b[1] for b in read) - min(b[0] for b in read)
    peaks = [int(open(r).read().split()[-1]) * 1024 for r in rss]
    return total, steady, peaks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", default="build/sluice")
    ap.add_argument("--broker", default="build/tests/mock_broker")
    ap.add_argument("--cache", default=os.environ.get("SLUICE_BENCH_CACHE", os.path.join(ROOT, ".bench-cache")))
    ap.add_argument("--partitions", type=int, default=40)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--members", default="1,2")
    args = ap.parse_args()
    sluice, broker = os.path.abspath(args.sluice), os.path.abspath(args.broker)
    if not os.path.exists(broker) or subprocess.run(["which", "kcat"], capture_output=True).returncode:
        sys.exit("kafka group benchmark: needs build/tests/mock_broker (librdkafka-dev) and kcat (make deps)")
    files = sorted(glob.glob(os.path.join(generate(sluice, args.cache, 100, 10000), "*.json")))[:args.files]
    size, rows = sum(os.path.getsize(f) for f in files), 10000 * len(files)
    work = tempfile.mkdtemp(prefix="sluice-group-bench.")
    mock = subprocess.Popen([broker, "--topic", f"tweets:{args.partitions}"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        bootstrap = mock.stdout.readline().strip()
        for f in files:
            subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", "tweets", "-l", f,
                            "-X", "sticky.partitioning.linger.ms=0"], check=True)
        conf = os.path.join(work, "member.conf")
        with open(conf, "w") as c:
            c.write(f"""runtime = {{ trigger = "100 milliseconds"; threads = 1; }};
stages = (
  {{ name = "tweets"; source = "kafka"; bootstrap_servers = "{bootstrap}"; subscribe = ["tweets"];
     starting_offsets = "earliest"; format = "json"; schema = "@{ROOT}/configs/schemas/tweet.json";
     kafka = ["session.timeout.ms=3000", "heartbeat.interval.ms=300"]; }},
  {{ name = "en"; input = "tweets"; transform = "filter"; condition = "data.lang = 'en'"; }},
  {{ name = "out"; input = "en"; sink = "file"; path = "out"; }}
);
""")
        print(f"kafka group: {rows} tweets ({size / 1e6:.0f} MB) in {args.partitions} partitions, "
              f"filter into a file sink per member, one core per member (mock broker on the same cores)")
        for n in [int(x) for x in args.members.split(",")]:
            total, steady, peaks = run(sluice, conf, n, rows, work, f"bench{n}")
            print(f"  {n} member(s): total {total:.2f} s, steady {steady:.2f} s, {rows / steady:,.0f} rows/s, "
                  f"{size / steady / 1e6:.0f} MB/s, peak RSS " + ", ".join(f"{p / 1e6:.0f} MB" for p in peaks))
    finally:
        mock.stdin.write("quit\n")
        mock.stdin.flush()
        mock.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
