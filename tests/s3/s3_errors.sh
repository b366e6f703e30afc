#!/usr/bin/env bash
# What goes wrong with S3 says so, naming the bucket, the key, the HTTP
# status and S3's code and message: a missing bucket (exit 2 in check and
# run), a requester-pays bucket without requester_pays, the wrong region,
# an unreachable endpoint (after the retries, exit 1), an answer that is
# not a listing. Transient failures are retried: 503 SlowDown, 500, a
# stall past `timeout`, a connection reset, a body cut midway (resumed from
# the byte reached). A
# failure mid-run stops the query with exit 1 before its batch commits,
# and a restart replays it: every row once. An object gone when read fails
# the batch, or is skipped with ignore_missing_files.
# Usage: s3_errors.sh SLUICE SOURCE_DIR
source "$(dirname "$0")/lib.sh" "$1"
src=$2
lab=spark-lab-input-data-ensai20202021
start_fake --requester-pays lab-bucket --requester-pays $lab --wrong-region far-bucket=eu-west-3
export AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=SECRETTEST
mkdir -p fake/bkt/in fake/lab-bucket/in fake/far-bucket
printf '{"n":1}\n{"n":2}\n' >fake/bkt/in/a.json
printf '{"n":3}\n' >fake/bkt/in/b.json
cp fake/bkt/in/*.json fake/lab-bucket/in/
cat >p.conf <<CONF
runtime = { trigger = "available_now"; };
stages = (
  { name = "in"; source = "s3"; path = "s3://bkt/in/"; endpoint = "$FAKE"; schema = "n LONG"; max_retries = 2; },
  { name = "total"; input = "in"; aggregate = ["count(*) AS rows", "sum(n) AS s"]; },
  { name = "out"; input = "total"; sink = "console"; output_mode = "complete"; format = "jsonl"; }
);
CONF
ok() { # the rows of a.json and b.json, once each
  "$SLUICE" run p.conf "$@" >out.txt 2>err.txt || fail "run $*"
  grep -q '"row":{"rows":3,"s":6}' out.txt || fail "run $*: wrong rows: $(cat out.txt)"
}

# At load: exit 2, in check as in run.
for cmd in check run; do
  expect 2 "key 'path': cannot list s3://nope/in/: HTTP 404 NoSuchBucket: The specified bucket does not exist" \
    "$cmd" p.conf --set in.path=s3://nope/in/
done
grep -q "hint: check the bucket's name in path and the endpoint" err.txt || fail "no hint for a missing bucket"
expect 2 "cannot list s3://lab-bucket/in/: HTTP 403 AccessDenied: Access Denied" run p.conf --set in.path=s3://lab-bucket/in/
grep -q "requester_pays = true" err.txt || fail "no hint at requester_pays"
ok --set in.path=s3://lab-bucket/in/ --set in.requester_pays=true
# The lab's config reads its requester-pays bucket as the lab does (here a
# stand-in for it on loopback), and fails as the lab would without the header.
"$SLUICE" gen tweets fake/$lab/stream_tweet --files 2 --rows 5 >/dev/null
(cd "$src" && "$SLUICE" run configs/lab1_read_stream_s3.conf --set tweets.endpoint="$FAKE" \
  --set runtime.trigger=available_now >"$WORK/out.txt" 2>"$WORK/err.txt") || fail "the lab's S3 config"
[ "$(grep -c '^Batch: ' out.txt)" = 2 ] || fail "the lab's S3 config: $(cat out.txt)"
(cd "$src" && "$SLUICE" check configs/lab1_read_stream_s3.conf --set tweets.endpoint="$FAKE" \
  --set tweets.requester_pays=false >/dev/null 2>"$WORK/err.txt") && fail "the lab's bucket without requester_pays"
grep -q "cannot list s3://$lab/stream_tweet/: HTTP 403 AccessDenied" err.txt || fail "the lab's bucket without requester_pays"
expect 2 "cannot list s3://far-bucket/: HTTP 301" run p.conf --set in.path=s3://far-bucket/
grep -q 'the bucket is in eu-west-3, not us-east-1: set region = "eu-west-3"' err.txt || fail "no hint at the region"
expect 2 "key 'path': path 'http://bkt/in/' is not an S3 folder: s3://bucket/prefix/" check p.conf --set in.path=http://bkt/in/
expect 2 "endpoint 'localhost:9000' is not a URL" check p.conf --set in.endpoint=localhost:9000

# Nobody listening: retried, then exit 1 naming the endpoint.
start=$(date +%s%N)
expect 1 "cannot list s3://bkt/in/: no answer from http://127.0.0.1:1 after 2 retries: " run p.conf --set in.endpoint=http://127.0.0.1:1
[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 100 ] || fail "no backoff between the attempts"

# A 200 that is not a listing (the load's probe passes, the listing does not).
fault 'status=xml&count=1&match=encoding-type'
expect 1 "cannot list s3://bkt/in/: the answer is not a listing (it is not a ListObjectsV2 listing)" run p.conf

# Transient failures, retried: the rows are all there, once.
fault 'status=503&code=SlowDown&count=2&match=/bkt/in/a.json'
fault 'status=reset&count=1&match=/bkt/in/b.json'
ok
[ "$(grep -c '/bkt/in/a.json -> 503' fake.log)" = 2 ] || fail "SlowDown was not retried twice"
grep -q '/bkt/in/b.json -> reset' fake.log || fail "no reset"
fault 'status=500&count=1&match=list-type'
fault 'status=cut&count=1&match=/bkt/in/a.json'
ok
grep -q '/bkt/in/a.json -> cut' fake.log || fail "no body was cut"
# An answer that does not come within `timeout` (1 s here) is given up and asked again.
fault 'status=stall&count=1&match=/bkt/in/b.json'
start=$(date +%s%N)
ok --set in.timeout=1s
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed" -lt 2900 ] || fail "the stalled answer was waited for (${elapsed} ms), not cut by the timeout"

# Mid-run: the read fails after the retries, exit 1; the batch is not
# committed, and a restart reads it again.
cat >ck.conf <<CONF
runtime = { trigger = "available_now"; checkpoint = "ck"; };
stages = (
  { name = "in"; source = "s3"; path = "s3://bkt/in/"; endpoint = "$FAKE"; schema = "n LONG"; max_retries = 1; },
  { name = "out"; input = "in"; sink = "file"; path = "sunk"; }
);
CONF
fault 'status=500&code=InternalError&count=2&match=/bkt/in/b.json'
expect 1 "cannot read s3://bkt/in/b.json: HTTP 500 InternalError: injected by the test" run ck.conf
[ -e ck/offsets/0 ] || fail "batch 0 was not planned"
[ ! -e ck/commits/0 ] || fail "batch 0 was committed though a read failed"
"$SLUICE" run ck.conf >out.txt 2>err.txt || fail "restart after the failure"
[ "$("$SLUICE" cat sunk | sort | tr -d '\n')" = '{"n":1}{"n":2}{"n":3}' ] || fail "after the restart: $("$SLUICE" cat sunk)"

# Gone when read (404 NoSuchKey): fails the batch, or is skipped.
fault 'status=404&code=NoSuchKey&count=1&match=/bkt/in/a.json'
expect 1 "cannot read 's3://bkt/in/a.json', planned for this batch: HTTP 404 NoSuchKey: injected by the test" run p.conf
fault 'status=404&code=NoSuchKey&count=1&match=/bkt/in/a.json'
expect 0 "skipping 's3://bkt/in/a.json', planned for this batch: HTTP 404 NoSuchKey" run p.conf --set in.ignore_missing_files=true
grep -q '"row":{"rows":1,"s":3}' out.txt || fail "ignore_missing_files: $(cat out.txt)"
echo "s3: a missing bucket, requester pays, the region, no answer and a non-listing named; transient failures retried; a failed batch replayed"
