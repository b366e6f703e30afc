"""sluice benchmarks: whole-process wall time, rows/s, MB/s and peak RSS.

Each query runs as a real `sluice run` over the cached data set with
trigger = available_now and its output sent to /dev/null; peak RSS comes
from getrusage of the child. `wc -l` over the same files gives the floor.
"""
import argparse
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# name -> config file in tests/bench/
QUERIES = {
    "read_1_column": "read_1_column.conf",
    "read_8_columns": "read_8_columns.conf",
    "read_all_columns": "read_all_columns.conf",
    "lang_count": "lang_count.conf",
    "hashtag_count": "hashtag_count.conf",
    "covid_filter": "filter_select.conf",
}


def generate(sluice, cache, files, rows):
    data = os.path.join(cache, f"tweets-{files}x{rows}")
    marker = os.path.join(data, ".complete")
    if not os.path.exists(marker):
        print(f"generating {files * rows} tweets into {data} (once)", file=sys.stderr)
        subprocess.run([sluice, "gen", "tweets", data, "--files", str(files), "--rows", str(rows),
                        "--seed", "1"], check=True)
        open(marker, "w").close()
    return data


def wall_time(argv):
    """Run argv with its output discarded; return wall seconds."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, err = proc.communicate()
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{err.decode(errors='replace')}")
    return wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", default="build/sluice")
    ap.add_argument("--cache", default=os.environ.get("SLUICE_BENCH_CACHE", os.path.join(ROOT, ".bench-cache")))
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--rows", type=int, default=10000)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs")
    ap.add_argument("queries", nargs="*", default=list(QUERIES))
    args = ap.parse_args()
    sluice = os.path.abspath(args.sluice)
    data = generate(sluice, args.cache, args.files, args.rows)
    files = sorted(os.path.join(data, f) for f in os.listdir(data) if f.endswith(".json"))
    size = sum(os.path.getsize(f) for f in files)
    rows = args.files * args.rows

    wc = min(wall_time(["wc", "-l"] + files) for _ in range(args.repeat))
    print(f"data: {rows} tweets, {size / 1e6:.0f} MB in {len(files)} files; wc -l: {wc:.3f} s "
          f"({size / wc / 1e6:.0f} MB/s)")
    print(f"{'query':<20} {'threads':>7} {'wall s':>8} {'rows/s':>12} {'MB/s':>8} {'peak RSS MB':>12} {'x wc -l':>8}")
    for q in args.queries:
        conf = os.path.join(HERE, QUERIES[q])
        for t in args.threads.split(","):
            argv = [sluice, "run", conf, "--set", f"tweets.path={data}", "--set", f"runtime.threads={t}"]
            best = min(wall_time(argv) for _ in range(args.repeat))
            rss = peak_rss(argv)
            print(f"{q:<20} {t:>7} {best:8.3f} {rows / best:12,.0f} {size / best / 1e6:8.0f} "
                  f"{rss / 1e6:12.1f} {best / wc:8.1f}")


def peak_rss(argv):
    """Peak RSS of one run: RUSAGE_CHILDREN is a maximum over every child ever
    waited for, so a fresh interpreter runs the one child and reports it."""
    code = ("import resource,subprocess,sys;"
            "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL,check=True);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code] + argv, cwd=ROOT, capture_output=True, check=True)
    return int(out.stdout) * 1024


if __name__ == "__main__":
    main()
