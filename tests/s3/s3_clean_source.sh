#!/usr/bin/env bash
# clean_source on the s3 source, against fake_s3.py (every request's SigV4
# signature checked, the copy's PUT and the DELETE too):
# - archive: each object read is copied to <source_archive_dir>/<its key>
#   (Spark's sourceArchiveDir keeps the full path) and deleted, after its
#   batch committed; every row is written once;
# - delete: the objects are gone after the run;
# - an archive in another bucket, or one the source would list again,
#   is refused at load (exit 2) naming the key.
# Usage: s3_clean_source.sh SLUICE SOURCE_DIR
source "$(dirname "$0")/lib.sh" "$1"
start_fake
export AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=SECRETTEST
mkdir -p fake/bkt/in fake/other
for f in a b c; do printf '{"f":"%s"}\n' "$f" >"fake/bkt/in/$f.json"; done
cat >p.conf <<CONF
runtime = { trigger = "available_now"; checkpoint = "ckpt"; };
stages = (
  { name = "in"; source = "s3"; path = "s3://bkt/in/"; endpoint = "$FAKE"; schema = "f STRING";
    max_files_per_trigger = 2; clean_source = "archive"; source_archive_dir = "s3://bkt/done/"; },
  { name = "out"; input = "in"; sink = "file"; path = "out"; }
);
CONF

"$SLUICE" run -v p.conf 2>err.txt || fail "archive run"
[ "$("$SLUICE" cat out | tr '\n' ' ')" = '{"f":"a"} {"f":"b"} {"f":"c"} ' ] || fail "rows: $("$SLUICE" cat out)"
[ -z "$(ls fake/bkt/in)" ] || fail "left in the source: $(ls fake/bkt/in)"
for f in a b c; do
  [ "$(cat "fake/bkt/done/in/$f.json" 2>/dev/null)" = "{\"f\":\"$f\"}" ] || fail "not archived: done/in/$f.json"
done
grep -qF "clean_source: 3 files archived, 0 could not be" err.txt || fail "no summary of the archiving"

printf '{"f":"d"}\n' >fake/bkt/in/d.json
"$SLUICE" run p.conf --set in.clean_source=delete 2>err.txt || fail "delete run"
[ ! -e fake/bkt/in/d.json ] || fail "d.json not deleted"
[ ! -e fake/bkt/done/in/d.json ] || fail "d.json archived by delete"
[ "$("$SLUICE" cat out | tr '\n' ' ')" = '{"f":"a"} {"f":"b"} {"f":"c"} {"f":"d"} ' ] || fail "rows: $("$SLUICE" cat out)"

expect 2 "source_archive_dir 's3://other/done/' is not in the bucket of path (bkt)" \
  check p.conf --set in.source_archive_dir=s3://other/done/
grep -qF "key 'source_archive_dir'" err.txt || fail "the key is not named"
expect 2 "source_archive_dir 's3://bkt/in/old/' is inside path 's3://bkt/in'" \
  check p.conf --set in.source_archive_dir=s3://bkt/in/old/
expect 2 "clean_source = \"archive\" needs source_archive_dir" check p.conf --set in.source_archive_dir=
echo "ok s3 clean_source: archived inside the bucket after the commit, deleted, bad archives refused"
