"""The lab's lang count from S3 (s3rver on loopback), next to the same from
disk and next to curl downloading the same objects from the same server.

Starts tests/s3/s3rver.js (npm s3rver, `make deps`) on 127.0.0.1 with its
data in the cache directory, uploads the 1M-tweet data set once (100
objects, 604 MB) with curl, then times, best of --repeat, whole process:
  - curl fetching every object to /dev/null over one connection, and over
    --threads connections at once: the server's own limit;
  - sluice's lang count from the bucket (source s3, the lab's schema,
    trigger available_now), threads as given;
  - the same pipeline from the files on disk, and from the same files
    gzipped on disk (made once in the cache with gzip -6).
Every run's count is checked. s3rver is one Node.js process: it, not
sluice, sets the pace here; the figure to watch is sluice / curl.

    python3 tests/bench/s3.py [--sluice build/sluice] [--threads 1,2] [--repeat 3]
"""
import argparse
import glob
import gzip
import os
import shutil
import subprocess
import sys
import tempfile

from bench import HERE, ROOT, generate, peak_rss, wall_time

S3_TESTS = os.path.join(ROOT, "tests", "s3")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", default="build/sluice")
    ap.add_argument("--cache", default=os.environ.get("SLUICE_BENCH_CACHE", os.path.join(ROOT, ".bench-cache")))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sluice = os.path.abspath(args.sluice)
    if not shutil.which("node") or not os.path.isdir(os.path.join(S3_TESTS, "node_modules", "s3rver")):
        sys.exit("s3 benchmark: needs node and s3rver in tests/s3 (make deps)")
    data = generate(sluice, args.cache, 100, 10000)
    files = sorted(glob.glob(os.path.join(data, "*.json")))
    size = sum(os.path.getsize(f) for f in files)
    rows = 1000000
    gz_dir = data + "-gz"
    if not os.path.exists(os.path.join(gz_dir, ".complete")):
        print(f"gzipping the data set into {gz_dir} (once)", file=sys.stderr)
        os.makedirs(gz_dir, exist_ok=True)
        for f in files:
            with open(f, "rb") as src, gzip.open(os.path.join(gz_dir, os.path.basename(f) + ".gz"), "wb", 6) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        open(os.path.join(gz_dir, ".complete"), "w").close()
    gz_size = sum(os.path.getsize(f) for f in glob.glob(os.path.join(gz_dir, "*.gz")))
    store = os.path.join(args.cache, "s3rver")
    os.environ.update(AWS_ACCESS_KEY_ID="S3RVER", AWS_SECRET_ACCESS_KEY="S3RVER",
                      NODE_OPTIONS="--openssl-legacy-provider")
    server = subprocess.Popen(["node", os.path.join(S3_TESTS, "s3rver.js"), store, "bench"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    tmp = tempfile.mkdtemp()
    try:
        endpoint = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        sign = ["curl", "-sS", "--fail", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "S3RVER:S3RVER",
                "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]
        marker = os.path.join(store, ".uploaded")
        if not os.path.exists(marker):
            print(f"uploading {len(files)} objects ({size / 1e6:.0f} MB) into s3rver (once)", file=sys.stderr)
            up = os.path.join(tmp, "up.cfg")
            with open(up, "w") as c:
                for f in files:
                    c.write(f'upload-file = "{f}"\nurl = "{endpoint}/bench/tweets/{os.path.basename(f)}"\n')
            subprocess.run(sign + ["-K", up, "-o", "/dev/null"], check=True)
            open(marker, "w").close()
        down = os.path.join(tmp, "down.cfg")
        with open(down, "w") as c:
            for f in files:
                c.write(f'url = "{endpoint}/bench/tweets/{os.path.basename(f)}"\noutput = "/dev/null"\n')
        conf = os.path.join(HERE, "lang_count.conf")
        print(f"s3: {rows} tweets ({size / 1e6:.0f} MB) in {len(files)} objects of s3rver on loopback; "
              f"gzipped: {gz_size / 1e6:.0f} MB (MB/s below count the uncompressed bytes)")
        print(f"{'reader':<38} {'wall s':>8} {'rows/s':>12} {'MB/s':>8} {'peak RSS MB':>12}")

        def line(name, argv, check=True):
            if check:
                out = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT).stdout
                total = sum(int(l.split("|")[2]) for l in out.splitlines() if l.count("|") == 3 and
                            l.split("|")[2].strip().isdigit())
                if total != rows:
                    sys.exit(f"{name}: counted {total} tweets, not {rows}")
            t = min(wall_time(argv) for _ in range(args.repeat))
            rss = peak_rss(argv)
            print(f"{name:<38} {t:8.3f} {rows / t:12,.0f} {size / t / 1e6:8.0f} {rss / 1e6:12.1f}", flush=True)
            return t

        curl_t = {}
        for t in args.threads.split(","):
            extra = ["-Z", "--parallel-max", t] if int(t) > 1 else []
            curl_t[t] = line(f"curl -> /dev/null, {t} conn", sign + extra + ["-K", down], check=False)
        for t in args.threads.split(","):
            s3 = [sluice, "run", conf, "--set", "tweets.source=s3", "--set", "tweets.path=s3://bench/tweets/",
                  "--set", f"tweets.endpoint={endpoint}", "--set", f"runtime.threads={t}"]
            disk = [sluice, "run", conf, "--set", f"tweets.path={data}", "--set", f"runtime.threads={t}"]
            st = line(f"sluice lang count from S3, {t} thr", s3)
            line(f"sluice lang count from disk, {t} thr", disk)
            line(f"sluice lang count, .gz on disk, {t} thr",
                 [sluice, "run", conf, "--set", f"tweets.path={gz_dir}", "--set", f"runtime.threads={t}"])
            print(f"  from S3 / curl with {t} conn: {st / curl_t[t]:.2f}x")
    finally:
        server.stdin.close()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
