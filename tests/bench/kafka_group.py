"""Scale-out over a Kafka consumer group: 1 member, then 2, each pinned to a
core of its own (taskset), reading the same topic as one group.

Starts the tests' mock broker (librdkafka's mock cluster, on loopback; it
shares the two cores with the members), takes --files x 10,000 tweets of the
lab's data set and --partitions partitions per topic, then for each member count starts that many `sluice run --group` processes
of a stateless pipeline (the lab's schema, a filter on lang, a file sink per
member) on an empty topic of their own, lets the group settle (every member
holds partitions and none moved for 2 s), produces the tweets and waits until
the members' progress logs account for every message. Prints, per member
count, the time from the first message produced to the last one written
beside the time producing alone takes, rows/s and MB/s over it, and each
member's CPU time (user + system) and peak RSS. On this machine the mock
broker, one process serving the producer and every member, sets the pace:
the CPU per member is what shows the work split.

With --query lang_count the pipeline is the lab's count by language in update
mode (into the console, thrown away): each member then runs the aggregation's
hop too, writing the language and creation time of each tweet to the group's
repartition topic and counting the partitions of it it holds, with the
changelog after each batch; every tweet is then read twice (input and
repartition), which the waiting accounts for.

    python3 tests/bench/kafka_group.py [--sluice build/sluice] [--broker build/tests/mock_broker]
                                       [--partitions 40] [--files 20] [--members 1,2]
                                       [--query filter|lang_count]
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


def settled(errs, members):
    """Every member holds partitions and none moved for 2 s (the group is stable)."""
    texts = [open(e).read() if os.path.exists(e) else "" for e in errs]
    if sum(" takes " in t for t in texts) < min(members, 1) or any(" takes " not in t for t in texts):
        return None
    return sum(t.count(" takes ") + t.count(" hands over ") for t in texts)


def run(sluice, conf, members, files, rows, work, group, bootstrap, reads):
    """Start the members on an empty topic, let the group settle, then
    produce the tweets and time until the members wrote them all."""
    topic = group
    procs, logs, rss, errs = [], [], [], []
    for m in range(members):
        log, rss_file = os.path.join(work, f"{group}-{m}.progress"), os.path.join(work, f"{group}-{m}.rss")
        err = os.path.join(work, f"{group}-{m}.err")
        argv = ["taskset", "-c", str(m % os.cpu_count()), "/usr/bin/time", "-f", "%U %S %M", "-o", rss_file,
                sluice, "run", conf, "--group", group, "--member", f"m{m}", "-v",
                "--set", f"tweets.subscribe=[\"{topic}\"]",
                "--set", f"runtime.progress_log=\"{log}\"", "--set", f"runtime.checkpoint=\"{work}/{group}-ck\""]
        if reads == 1:  # the filter's file sink
            argv += ["--set", f"out.path=\"{work}/{group}-out-{m}\""]
        procs.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(err, "w")))
        logs.append(log)
        rss.append(rss_file)
        errs.append(err)
    moves, since = None, time.monotonic()
    while time.monotonic() - since < 2:
        now = settled(errs, members)
        if now is None or now != moves:
            moves, since = now, time.monotonic()
        if any(p.poll() is not None for p in procs):
            sys.exit(f"a member stopped early (exit {[p.poll() for p in procs]})")
        time.sleep(0.2)
    t0 = time.monotonic()
    for f in files:
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-l", f,
                        "-X", "sticky.partitioning.linger.ms=0"], check=True)
    produced = time.monotonic() - t0
    batches = []
    while time.monotonic() - t0 < 600:
        batches = [b for log in logs for b in progress(log)]
        if sum(b[2] for b in batches) >= rows * reads:
            break
        if any(p.poll() is not None for p in procs):
            sys.exit(f"a member stopped early (exit {[p.poll() for p in procs]})")
        time.sleep(0.1)
    total = time.monotonic() - t0
    for p in procs:  # stop sluice, the child of /usr/bin/time, which then writes its peak RSS
        subprocess.run(["pkill", "-TERM", "-P", str(p.pid)])
    for p in procs:
        p.wait()
    got = sum(b[2] for b in batches)
    if got != rows * reads:
        sys.exit(f"{members} member(s) read {got} rows, not {rows * reads}")
    usage = [open(r).read().split()[-3:] for r in rss]  # user s, system s, peak KiB
    return total, produced, [(float(u) + float(y), int(k) * 1024) for u, y, k in usage]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", default="build/sluice")
    ap.add_argument("--broker", default="build/tests/mock_broker")
    ap.add_argument("--cache", default=os.environ.get("SLUICE_BENCH_CACHE", os.path.join(ROOT, ".bench-cache")))
    ap.add_argument("--partitions", type=int, default=40)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--members", default="1,2")
    ap.add_argument("--query", default="filter", choices=["filter", "lang_count"])
    ap.add_argument("--shuffle-partitions", type=int, default=8)
    args = ap.parse_args()
    sluice, broker = os.path.abspath(args.sluice), os.path.abspath(args.broker)
    if not os.path.exists(broker) or subprocess.run(["which", "kcat"], capture_output=True).returncode:
        sys.exit("kafka group benchmark: needs build/tests/mock_broker (librdkafka-dev) and kcat (make deps)")
    files = sorted(glob.glob(os.path.join(generate(sluice, args.cache, 100, 10000), "*.json")))[:args.files]
    size, rows = sum(os.path.getsize(f) for f in files), 10000 * len(files)
    work = tempfile.mkdtemp(prefix="sluice-group-bench.")
    counts = [int(x) for x in args.members.split(",")]
    topics = [a for n in counts for a in ("--topic", f"bench{n}:{args.partitions}")]
    agg = args.query == "lang_count"
    if agg:
        topics += [a for n in counts for t in ("repartition", "changelog")
                   for a in ("--topic", f"bench{n}-n-{t}:{args.shuffle_partitions}")]
    mock = subprocess.Popen([broker] + topics, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        bootstrap = mock.stdout.readline().strip()
        conf = os.path.join(work, "member.conf")
        with open(conf, "w") as c:
            stages = """  {{ name = "en"; input = "tweets"; transform = "filter"; condition = "data.lang = 'en'"; }},
  {{ name = "out"; input = "en"; sink = "file"; path = "out"; }}""" if not agg else """  {{ name = "n"; input = "tweets"; group_by = ["data.lang AS lang"]; aggregate = ["count(*) AS count"]; }},
  {{ name = "out"; input = "n"; sink = "console"; output_mode = "update"; }}"""
            c.write(f"""runtime = {{ trigger = "100 milliseconds"; threads = 4; shuffle_partitions = {args.shuffle_partitions}; }};
stages = (
  {{ name = "tweets"; source = "kafka"; bootstrap_servers = "{bootstrap}"; subscribe = ["tweets"];
     starting_offsets = "earliest"; format = "json"; schema = "@{ROOT}/configs/schemas/tweet.json";
     kafka = ["session.timeout.ms=3000", "heartbeat.interval.ms=300"]; }},
{stages.format()}
);
""")
        what = "filter into a file sink" if not agg else "lang count through the repartition topic"
        print(f"kafka group: {rows} tweets ({size / 1e6:.0f} MB) in {args.partitions} partitions, "
              f"{what} per member, one core per member (mock broker on the same cores)")
        for n in counts:
            total, produced, peaks = run(sluice, conf, n, files, rows, work, f"bench{n}", bootstrap, 2 if agg else 1)
            print(f"  {n} member(s): {total:.2f} s from the first message produced to the last written "
                  f"(producing alone: {produced:.2f} s), {rows / total:,.0f} rows/s, {size / total / 1e6:.0f} MB/s, "
                  f"CPU and peak RSS per member: " + ", ".join(f"{c:.2f} s {p / 1e6:.0f} MB" for c, p in peaks))
    finally:
        mock.stdin.write("quit\n")
        mock.stdin.flush()
        mock.wait()
        if not os.environ.get("SLUICE_BENCH_KEEP"): subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
