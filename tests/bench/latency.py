"""sluice latency benchmark: how soon a new file shows up, and what idling costs.

Runs `sluice run` on an empty directory with trigger = "0 seconds" and a
console sink, then
  1. idle CPU: utime + stime from /proc/<pid>/stat over --idle seconds with
     no new data, as a percentage of one core (before the files, and again
     after them, when a directory listing costs more);
  2. latency: --files small files, each written under a hidden name and
     renamed in (as Spark expects files to appear), one at a time at random
     spacing; the time from just before rename() to the moment its row
     arrives on the pipe. Prints p50, p99 and max.
Ends the run with SIGINT and checks it exits 0.
"""
import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

ROW = re.compile(rb'"row":\{"n":(\d+)\}')  # the console's jsonl: {"batch_id":B,"row":{...}}

CONF = """name = "bench_latency";
runtime = {{ trigger = "0 seconds"; threads = {threads}; }};
stages = (
  {{ name = "rows"; source = "file"; path = "{dir}"; schema = "n LONG"; }},
  {{ name = "out"; input = "rows"; sink = "console"; format = "jsonl"; }}
);
"""


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", default="build/sluice")
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--idle", type=float, default=5.0, help="seconds of idling to measure")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    sluice = os.path.abspath(args.sluice)

    with tempfile.TemporaryDirectory(prefix="sluice-latency-") as work:
        data = os.path.join(work, "in")
        os.mkdir(data)
        conf = os.path.join(work, "latency.conf")
        with open(conf, "w") as f:
            f.write(CONF.format(dir=data, threads=args.threads))
        proc = subprocess.Popen([sluice, "run", conf], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=ROOT, bufsize=0)
        arrived = {}
        cond = threading.Condition()

        def reader():
            for line in proc.stdout:
                now = time.monotonic()
                m = ROW.search(line)
                if m:
                    with cond:
                        arrived[int(m.group(1))] = now
                        cond.notify_all()

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        time.sleep(0.5)  # start-up, first (empty) listing, the watch set up
        if proc.poll() is not None:
            sys.exit(f"sluice exited early: {proc.stderr.read().decode(errors='replace')}")

        c0, w0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(args.idle)
        idle_pct = 100 * (cpu_seconds(proc.pid) - c0) / (time.monotonic() - w0)

        rng = random.Random(1)
        lat = []
        for i in range(args.files):
            tmp = os.path.join(data, f".f{i:05d}.tmp")
            with open(tmp, "w") as f:
                f.write(f'{{"n":{i}}}\n')
            time.sleep(rng.uniform(0.005, 0.02))  # the write settles; the loop is idle again
            start = time.monotonic()
            os.rename(tmp, os.path.join(data, f"f{i:05d}.json"))
            with cond:
                if not cond.wait_for(lambda: i in arrived, timeout=5):
                    proc.kill()
                    sys.exit(f"file {i} did not show up within 5 s")
            lat.append(arrived[i] - start)

        # Idle again, now with every file in the directory (polling would list them all).
        c0, w0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(args.idle)
        idle_full_pct = 100 * (cpu_seconds(proc.pid) - c0) / (time.monotonic() - w0)

        proc.send_signal(signal.SIGINT)
        status = proc.wait(timeout=10)
        if status != 0:
            sys.exit(f"sluice exited {status} after SIGINT: {proc.stderr.read().decode(errors='replace')}")

    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
    print(f"idle CPU over {args.idle:.0f} s: {idle_pct:.2f}% of a core with an empty directory, "
          f"{idle_full_pct:.2f}% with {args.files} files in it")
    print(f"new file to console, {len(lat)} files: p50 {p(0.50):.2f} ms, p99 {p(0.99):.2f} ms, "
          f"max {lat[-1] * 1000:.2f} ms, mean {statistics.mean(lat) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
