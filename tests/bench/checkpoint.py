"""What a checkpoint costs per micro-batch.

Runs bench queries one file per batch (max_files_per_trigger = 1, so 100
batches over the default data set), with and without runtime.checkpoint,
for each number of shuffle partitions, and reads the engine's debug log:
per batch the whole batch time and, with a checkpoint, what writing the
state and commits/N added to the batch's path (each file fsynced, renamed
and its directory fsynced), and offsets/N, which is written while the
batch reads its first unit. The checkpoint lives beside the data (the cache
directory), so fsync reaches the same disk a user's would.

    python3 tests/bench/checkpoint.py [--sluice build/sluice] [--partitions 5,64]
                                      [--files-per-batch 1] [--repeat 1] [QUERY...]

Prints per query and partition count: batches, mean batch ms without and
with the checkpoint, the checkpoint's mean and worst ms per batch and its
share of the batch, and state files and bytes written per batch.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

from bench import HERE, QUERIES, ROOT, generate

BATCH = re.compile(rb"stage 'tweets': batch (\d+)(?: \(no data\))?: \d+ units, .*?, ([\d.]+) ms, offset")
CKPT = re.compile(rb"stage 'tweets': batch (\d+): checkpoint ([\d.]+) ms: state ([\d.]+) ms \((\d+) partitions, "
                  rb"\d+ groups, (\d+) bytes\), commit ([\d.]+) ms; offsets ([\d.]+) ms beside the batch")


def run(argv):
    env = dict(os.environ, SLUICE_LOG="debug")
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr.decode(errors='replace')[-2000:]}")
    return proc.stderr


def mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", default="build/sluice")
    ap.add_argument("--cache", default=os.environ.get("SLUICE_BENCH_CACHE", os.path.join(ROOT, ".bench-cache")))
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--rows", type=int, default=10000)
    ap.add_argument("--threads", default="2")
    ap.add_argument("--partitions", default="5,64")
    ap.add_argument("--files-per-batch", type=int, default=1, help="max_files_per_trigger")
    ap.add_argument("--repeat", type=int, default=1, help="runs per case; the run with the median overhead is shown")
    ap.add_argument("queries", nargs="*", default=["lang_count", "window_tumbling"])
    args = ap.parse_args()
    sluice = os.path.abspath(args.sluice)
    print(f"{'query':<16} {'parts':>5} {'batches':>7} {'batch ms':>9} {'+ckpt ms':>9} {'ckpt ms':>8} "
          f"{'max ms':>7} {'share':>6} {'offsets':>8} {'state':>7} {'commit':>7} {'saved':>6} {'KB':>7}")
    for q in args.queries:
        conf, late = QUERIES[q] if isinstance(QUERIES[q], tuple) else (QUERIES[q], 0.0)
        data = generate(sluice, args.cache, args.files, args.rows, late)
        for parts in args.partitions.split(","):
            base = [sluice, "run", os.path.join(HERE, conf), "--set", f"tweets.path={data}",
                    "--set", f"tweets.max_files_per_trigger={args.files_per_batch}",
                    "--set", f"runtime.threads={args.threads}", "--set", f"runtime.shuffle_partitions={parts}"]
            runs = []
            for _ in range(args.repeat):
                plain = [float(m[1]) for m in BATCH.findall(run(base))]
                ckdir = tempfile.mkdtemp(prefix="ckpt-bench-", dir=args.cache)
                try:
                    log = run(base + ["--set", f"runtime.checkpoint={ckdir}"])
                finally:
                    shutil.rmtree(ckdir)
                with_ck = [float(m[1]) for m in BATCH.findall(log)]
                # (on the batch's path, offsets beside it, state, partitions, bytes, commit)
                ck = [(float(m[1]), float(m[6]), float(m[2]), int(m[3]), int(m[4]), float(m[5]))
                      for m in CKPT.findall(log)]
                runs.append((mean([c[0] for c in ck]), plain, with_ck, ck))
            runs.sort(key=lambda r: r[0])
            _, plain, with_ck, ck = runs[len(runs) // 2]
            total = [c[0] for c in ck]
            share = mean([c[0] / b for c, b in zip(ck, with_ck) if b > 0])
            print(f"{q:<16} {parts:>5} {len(ck):>7} {mean(plain):9.2f} {mean(with_ck):9.2f} {mean(total):8.2f} "
                  f"{max(total):7.2f} {share:6.1%} {mean([c[1] for c in ck]):8.2f} {mean([c[2] for c in ck]):7.2f} "
                  f"{mean([c[5] for c in ck]):7.2f} {mean([c[3] for c in ck]):6.1f} "
                  f"{mean([c[4] for c in ck]) / 1024:7.1f}", flush=True)


if __name__ == "__main__":
    main()
