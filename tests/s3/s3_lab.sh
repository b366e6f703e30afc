#!/usr/bin/env bash
# The lab's pipelines over a real S3 server (s3rver on loopback, path
# style, credentials S3RVER/S3RVER): the lang count and the hashtag count
# from a bucket print exactly what the same pipelines print over the same
# files on disk, switched with --set alone (and so does the lang count over
# the same objects gzipped); a folder of 1,001 objects (two pages of
# ListObjectsV2) is read whole.
# Usage: s3_lab.sh SLUICE SOURCE_DIR
source "$(dirname "$0")/lib.sh" "$1"
src=$2
start_s3rver lab-bucket
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
"$SLUICE" gen tweets data --files 4 --rows 300 --seed 11 >/dev/null
put_dir data lab-bucket/stream_tweet
mkdir gz
for f in data/*.json; do gzip -c "$f" >"gz/${f##*/}.gz"; done
put_dir gz lab-bucket/stream_tweet_gz
cd "$src"
for lab in lab3_hashtags lab2_lang_count; do  # the lang count last: its disk.txt is used below
  set_common=(--set runtime.trigger=available_now)
  "$SLUICE" run "configs/$lab.conf" "${set_common[@]}" --set tweets.path="$WORK/data" >"$WORK/disk.txt" 2>"$WORK/err.txt" ||
    fail "$lab from disk"
  "$SLUICE" run "configs/$lab.conf" "${set_common[@]}" --set tweets.source=s3 \
    --set tweets.path=s3://lab-bucket/stream_tweet/ --set tweets.endpoint="$S3RVER" >"$WORK/s3.txt" 2>"$WORK/err.txt" ||
    fail "$lab from S3"
  [ "$(grep -c '^Batch: ' "$WORK/s3.txt")" = 4 ] || fail "$lab: not one batch per object: $(head "$WORK/s3.txt")"
  diff -u "$WORK/disk.txt" "$WORK/s3.txt" >&2 || fail "$lab: S3 differs from disk"
done
# The same objects gzipped: inflated on the fly, as from disk.
"$SLUICE" run configs/lab2_lang_count.conf "${set_common[@]}" --set tweets.source=s3 \
  --set tweets.path=s3://lab-bucket/stream_tweet_gz/ --set tweets.endpoint="$S3RVER" >"$WORK/s3.txt" 2>"$WORK/err.txt" ||
  fail "gzipped objects"
diff -u "$WORK/disk.txt" "$WORK/s3.txt" >&2 || fail "gzipped objects differ from disk"
cd "$WORK"

# Pagination: 1,001 objects of one row each, seven languages in turn.
mkdir many
python3 -c 'for i in range(1, 1002): open("many/o%04d.json" % i, "w").write("{\"lang\":\"l%d\"}\n" % (i % 7))'
put_dir many lab-bucket/many
cat >many.conf <<CONF
runtime = { trigger = "available_now"; };
stages = (
  { name = "in"; source = "s3"; path = "s3://lab-bucket/many/"; endpoint = "$S3RVER"; schema = "lang STRING"; },
  { name = "n"; input = "in"; group_by = ["lang"]; aggregate = ["count(*) AS n"]; },
  { name = "out"; input = "n"; sink = "console"; output_mode = "complete"; format = "jsonl"; }
);
CONF
"$SLUICE" run many.conf >out.txt 2>err.txt || fail "1,001 objects"
# 1001 = 7 * 143: l0..l6 143 times each.
[ "$(grep -c '"n":143}' out.txt)" = 7 ] || fail "1,001 objects: $(cat out.txt)"
echo "s3: the lab's pipelines read the same from a bucket as from disk; 1,001 objects listed over two pages"
