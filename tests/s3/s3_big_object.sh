#!/usr/bin/env bash
# A 50 MB object (s3rver on loopback) read by 2 threads: cut into line-
# aligned units of max_partition_bytes, each a ranged GET streamed into the
# decoder, so the lang count equals the one over the same file on disk,
# with the object in one unit or in seven, and the process never holds the
# object in memory (its peak RSS is within 20 MB of the disk run's).
# Usage: s3_big_object.sh SLUICE SOURCE_DIR
source "$(dirname "$0")/lib.sh" "$1"
start_s3rver big-bucket
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
"$SLUICE" gen tweets data --files 1 --rows 90000 --seed 5 >/dev/null
size=$(stat -c %s data/part-00000.json)
[ "$size" -gt 50000000 ] || fail "the object is only $size bytes"
put data/part-00000.json big-bucket/tweets/part-00000.json
cat >big.conf <<CONF
runtime = { trigger = "available_now"; threads = 2; };
stages = (
  { name = "tweets"; source = "s3"; path = "s3://big-bucket/tweets/"; endpoint = "$S3RVER";
    schema = "@$2/configs/schemas/tweet.json"; },
  { name = "by_lang"; input = "tweets"; group_by = ["data.lang AS lang"]; aggregate = ["count(*) AS count"]; },
  { name = "out"; input = "by_lang"; sink = "console"; output_mode = "complete"; format = "jsonl"; }
);
CONF
sed -e 's|source = "s3"; path = "s3://big-bucket/tweets/"; endpoint = "[^"]*";|source = "file"; path = "data";|' big.conf >disk.conf
# Peak RSS of a run (its output in OUT), from the kernel's accounting of the child.
peak_rss() { # OUT ARGS...
  python3 -c '
import resource, subprocess, sys
with open(sys.argv[1], "w") as out, open("err.txt", "w") as err:
    r = subprocess.run(sys.argv[2:], stdout=out, stderr=err)
sys.exit(r.returncode) if r.returncode else print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
' "$@"
}
# Under ASan (make test-sanitize), freed blocks wait in a quarantine that
# would count in RSS: keep it small so the two runs compare.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1
disk_kb=$(peak_rss disk.txt "$SLUICE" run disk.conf) || fail "from disk"
sort -o disk.txt disk.txt
[ "$(python3 -c 'import json,sys; print(sum(json.loads(l)["row"]["count"] for l in open(sys.argv[1])))' disk.txt)" = 90000 ] ||
  fail "the disk run did not count 90000 rows"
rss_kb=$(peak_rss s3.txt env SLUICE_LOG=debug "$SLUICE" run big.conf) || fail "from S3"
grep -q "batch 0: 7 units" err.txt || fail "the object was not cut into 7 units: $(grep units err.txt)"
sort s3.txt | grep -v '^sluice' | diff -u disk.txt - >&2 || fail "S3 differs from disk"
# Against the same run from disk, so that a sanitizer's own memory cancels
# out (and ASan's quarantine of freed memory is kept small, see above).
[ "$rss_kb" -lt $((disk_kb + 20000)) ] ||
  fail "peak RSS ${rss_kb} kB from S3 (${disk_kb} kB from disk) for a $size-byte object: not streamed"
"$SLUICE" run big.conf --set tweets.max_partition_bytes=0 2>err.txt | sort | diff -u disk.txt - >&2 ||
  fail "S3 in one unit differs from disk"
echo "s3: a ${size}-byte object read in 7 units by 2 threads, as from disk, peak RSS ${rss_kb} kB (${disk_kb} kB from disk)"
