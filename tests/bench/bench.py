"""sluice benchmarks: whole-process wall time, rows/s, MB/s and peak RSS.

Each query runs as a real `sluice run` over the cached data set with
trigger = available_now and its output sent to /dev/null; peak RSS comes
from getrusage of the child. `wc -l` over the same files gives the floor.
Queries with an aggregation also report the most groups their state held
after any batch (one more run, with the debug log). The window queries run
over a second data set with 5% late tweets (created_at 10-60 s behind).

If Node.js is there, the queries DuckDB can express (tests/bench/duckdb.mjs)
also run in DuckDB (`@duckdb/node-api`, installed once into the cache
directory with npm) with the same threads, whole process timed the same
way: the last columns give its wall time and sluice's speed-up over it.
Nothing needs DuckDB: without node or the package those columns stay empty.
"""
import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# name -> config file in tests/bench/, or (config file, fraction of late tweets in its data)
QUERIES = {
    "lang_count": "lang_count.conf",
    "window_tumbling": "window_tumbling.conf",
    "window_sliding": ("window_sliding.conf", 0.05),
    "hashtag_count": "hashtag_count.conf",
    "covid_filter": "filter_select.conf",
    "read_1_column": "read_1_column.conf",
    "read_8_columns": "read_8_columns.conf",
    "read_all_columns": "read_all_columns.conf",
    "window_hashtag": ("window_hashtag.conf", 0.05),
    "partition_count": "partition_count.conf",
    "dedup_count": "dedup_count.conf",
    "join_count": "join_count.conf",
    "stream_join_count": "stream_join_count.conf",
    "text_count": "text_count.conf",
}
# Queries over the same files laid out in key=value directories.
PARTITIONED = {"partition_count"}


def users_table(data):
    """A static users CSV for join_count: every other author of the data set, sorted (once)."""
    out = data + "-users"
    marker = os.path.join(out, ".complete")
    if not os.path.exists(marker):
        ids = set()
        for f in sorted(os.listdir(data)):
            if not f.endswith(".json"):
                continue
            for line in open(os.path.join(data, f), encoding="utf-8", errors="replace"):
                try:
                    ids.add(json.loads(line)["data"]["author_id"])
                except (ValueError, KeyError, TypeError):
                    pass
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "users.csv"), "w") as w:
            w.write("id,name\n")
            for i, a in enumerate(sorted(x for x in ids if x)):
                if i % 2 == 0:
                    w.write(f"{a},user{i}\n")
        open(marker, "w").close()
    return out


def partitioned(data, days=10):
    """The data set's files hard-linked into day=2021-05-01 ... directories (once)."""
    out = data + "-by-day"
    marker = os.path.join(out, ".complete")
    if not os.path.exists(marker):
        files = sorted(f for f in os.listdir(data) if f.endswith(".json"))
        for i, f in enumerate(files):
            d = os.path.join(out, f"day=2021-05-{i % days + 1:02d}")
            os.makedirs(d, exist_ok=True)
            os.link(os.path.join(data, f), os.path.join(d, f))
        open(marker, "w").close()
    return out


def generate(sluice, cache, files, rows, late=0.0):
    suffix = f"-late{round(late * 100)}" if late else ""
    data = os.path.join(cache, f"tweets-{files}x{rows}{suffix}")
    marker = os.path.join(data, ".complete")
    if not os.path.exists(marker):
        print(f"generating {files * rows} tweets into {data} (once)", file=sys.stderr)
        subprocess.run([sluice, "gen", "tweets", data, "--files", str(files), "--rows", str(rows),
                        "--seed", "1"] + (["--late", str(late)] if late else []), check=True)
        open(marker, "w").close()
    return data


DUCKDB_QUERIES = {"lang_count", "window_sliding", "hashtag_count", "covid_filter", "read_1_column",
                  "partition_count", "join_count", "dedup_count", "text_count"}


def duckdb_modules(cache):
    """node_modules holding @duckdb/node-api, installed on first use; None
    when node or npm is missing or the install fails."""
    if not shutil.which("node") or not shutil.which("npm"):
        return None
    prefix = os.path.join(cache, "duckdb")
    modules = os.path.join(prefix, "node_modules")
    if not os.path.isdir(os.path.join(modules, "@duckdb", "node-api")):
        os.makedirs(prefix, exist_ok=True)
        print(f"installing @duckdb/node-api into {prefix} (once)", file=sys.stderr)
        r = subprocess.run(["npm", "install", "--prefix", prefix, "--no-audit", "--no-fund", "--silent",
                            "@duckdb/node-api"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if r.returncode != 0:
            print(f"no DuckDB comparison: npm install failed: {r.stderr.decode(errors='replace')[-300:]}",
                  file=sys.stderr)
            return None
    return modules


def peak_state(argv):
    """The most groups any aggregation's state held after a batch, from
    the debug log; None for a query without aggregation."""
    env = dict(os.environ, SLUICE_LOG="debug")
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    counts = [int(m) for m in re.findall(rb"batch \d+: (\d+) groups in state", proc.stderr)]
    return max(counts) if counts else None


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
    ap.add_argument("--no-duckdb", action="store_true", help="skip the DuckDB comparison")
    ap.add_argument("queries", nargs="*", default=list(QUERIES))
    args = ap.parse_args()
    sluice = os.path.abspath(args.sluice)
    rows = args.files * args.rows
    duck = None if args.no_duckdb else duckdb_modules(args.cache)
    sets = {}  # late fraction -> (data dir, bytes, wc -l seconds)

    def data_set(late):
        if late not in sets:
            data = generate(sluice, args.cache, args.files, args.rows, late)
            files = sorted(os.path.join(data, f) for f in os.listdir(data) if f.endswith(".json"))
            size = sum(os.path.getsize(f) for f in files)
            wc = min(wall_time(["wc", "-l"] + files) for _ in range(args.repeat))
            print(f"data: {rows} tweets ({late:.0%} late), {size / 1e6:.0f} MB in {len(files)} files; "
                  f"wc -l: {wc:.3f} s ({size / wc / 1e6:.0f} MB/s)")
            sets[late] = (data, size, wc)
        return sets[late]

    header = False
    for q in args.queries:
        conf, late = QUERIES[q] if isinstance(QUERIES[q], tuple) else (QUERIES[q], 0.0)
        data, size, wc = data_set(late)
        if not header:
            print(f"{'query':<20} {'threads':>7} {'wall s':>8} {'rows/s':>12} {'MB/s':>8} {'peak RSS MB':>12} "
                  f"{'x wc -l':>8} {'peak state':>10}" + (f" {'duckdb s':>9} {'x faster':>8}" if duck else ""))
            header = True
        for t in args.threads.split(","):
            path = partitioned(data) if q in PARTITIONED else data
            argv = [sluice, "run", os.path.join(HERE, conf), "--set", f"tweets.path={path}",
                    "--set", f"runtime.threads={t}"]
            if q == "join_count":
                argv += ["--set", f"users.path={users_table(data)}"]
            if q == "stream_join_count":
                argv += ["--set", f"others.path={path}"]
            best = min(wall_time(argv) for _ in range(args.repeat))
            rss = peak_rss(argv)
            state = peak_state(argv)
            line = (f"{q:<20} {t:>7} {best:8.3f} {rows / best:12,.0f} {size / best / 1e6:8.0f} "
                    f"{rss / 1e6:12.1f} {best / wc:8.1f} {state if state is not None else '-':>10}")
            if duck and q in DUCKDB_QUERIES:
                # DuckDB's fastest formulation: only the needed fields, or the
                # whole lab schema (duckdb.mjs); both are timed, the faster kept.
                times = {}
                for form in ("needed", "full"):
                    dargv = ["node", os.path.join(HERE, "duckdb.mjs"), duck, data, q, t, form]
                    times[form] = min(wall_time(dargv) for _ in range(args.repeat))
                form = min(times, key=times.get)
                line += f" {times[form]:9.3f} {times[form] / best:8.1f} ({form}; other {max(times.values()):.3f})"
            print(line, flush=True)


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
