"""The lab's lang count from Kafka, next to kcat consuming the same topic.

Starts the tests' mock broker (librdkafka's mock cluster, on loopback),
produces the 1M-tweet data set once into topic `tweets` with kcat, then
times, best of --repeat, whole process:
  - kcat -C -e reading every message to /dev/null: the broker's own limit;
  - sluice's lang count reading the topic (format json, the lab's schema,
    trigger available_now, threads as given).
The mock keeps about 5 MiB per partition (older messages are deleted, as
retention would), so 1M tweets (604 MB) need some 150 partitions (default 160; the producer spreads
# messages evenly, without sticky partitioning); the count
checks that every message was read.

    python3 tests/bench/kafka.py [--sluice build/sluice] [--broker build/tests/mock_broker]
                                 [--partitions 160] [--threads 2] [--repeat 3]
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

from bench import HERE, ROOT, generate, peak_rss, wall_time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", default="build/sluice")
    ap.add_argument("--broker", default="build/tests/mock_broker")
    ap.add_argument("--cache", default=os.environ.get("SLUICE_BENCH_CACHE", os.path.join(ROOT, ".bench-cache")))
    ap.add_argument("--partitions", type=int, default=160)
    ap.add_argument("--threads", default="2")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sluice, broker = os.path.abspath(args.sluice), os.path.abspath(args.broker)
    if not os.path.exists(broker) or subprocess.run(["which", "kcat"], capture_output=True).returncode:
        sys.exit("kafka benchmark: needs build/tests/mock_broker (librdkafka-dev) and kcat (make deps)")
    data = generate(sluice, args.cache, 100, 10000)
    files = sorted(glob.glob(os.path.join(data, "*.json")))
    size = sum(os.path.getsize(f) for f in files)
    rows = 1000000
    mock = subprocess.Popen([broker, "--topic", f"tweets:{args.partitions}"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        bootstrap = mock.stdout.readline().strip()
        for f in files:
            subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", "tweets", "-l", f,
                            "-X", "sticky.partitioning.linger.ms=0"], check=True)  # spread evenly
        kcat = ["kcat", "-C", "-b", bootstrap, "-t", "tweets", "-e", "-q", "-o", "beginning"]
        n = subprocess.run(kcat, capture_output=True, check=True).stdout.count(b"\n")
        if n != rows:
            sys.exit(f"the topic holds {n} messages, not {rows}: more partitions are needed (--partitions)")
        conf = os.path.join(tempfile.mkdtemp(), "kafka_lang_count.conf")
        with open(conf, "w") as c:
            c.write(f"""runtime = {{ trigger = "available_now"; shuffle_partitions = 5; }};
stages = (
  {{ name = "tweets"; source = "kafka"; bootstrap_servers = "{bootstrap}"; subscribe = ["tweets"];
     starting_offsets = "earliest"; format = "json"; schema = "@{ROOT}/configs/schemas/tweet.json"; }},
  {{ name = "by_lang"; input = "tweets"; group_by = ["data.lang AS lang"]; aggregate = ["count(*) AS count"]; }},
  {{ name = "out"; input = "by_lang"; sink = "console"; output_mode = "complete"; format = "jsonl"; }}
);
""")
        argv = [sluice, "run", conf, "--set", f"runtime.threads={args.threads}"]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        total = sum(json.loads(l)["row"]["count"] for l in out.splitlines())
        if total != rows:
            sys.exit(f"sluice counted {total} tweets, not {rows}")
        kc = min(wall_time(kcat) for _ in range(args.repeat))
        sl = min(wall_time(argv) for _ in range(args.repeat))
        rss, kcat_rss = peak_rss(argv), peak_rss(kcat)
        print(f"kafka: {rows} tweets ({size / 1e6:.0f} MB) in {args.partitions} partitions of the mock broker")
        print(f"{'reader':<28} {'wall s':>8} {'rows/s':>12} {'MB/s':>8} {'peak RSS MB':>12}")
        print(f"{'kcat -C -e > /dev/null':<28} {kc:8.3f} {rows / kc:12,.0f} {size / kc / 1e6:8.0f} {kcat_rss / 1e6:12.1f}")
        print(f"{'sluice lang count, ' + args.threads + ' thr':<28} {sl:8.3f} {rows / sl:12,.0f} {size / sl / 1e6:8.0f} "
              f"{rss / 1e6:12.1f}")
        print(f"sluice / kcat: {sl / kc:.2f}x")
    finally:
        mock.stdin.close()
        mock.wait(timeout=30)


if __name__ == "__main__":
    main()
