#!/usr/bin/env bash
# Input that is not UTF-8 never reaches JSON output: the JSON and CSV
# decoders replace each invalid sequence with U+FFFD, as Spark reading
# through Java's decoder does, so the console's jsonl, the file sink's
# part files and `sluice cat` all parse with a strict JSON reader. The
# replacements are counted: numInvalidUtf8Replaced in each progress
# record, a warning the first time and a summary at the end. Expected
# values come from Python's bytes.decode("utf-8", "replace").
# Usage: invalid_utf8.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-utf8.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }

mkdir json csv
printf '{"id":1,"lang":"en","text":"caf\xc3\xa9 \xf0\x9f\x98\x80 fine"}\n' >json/a.json
printf '{"id":2,"lang":"\xff\xfe","text":"cut \xe2\x82"}\n{"id":3,"lang":"fr","text":"\xc0\xaf and \xed\xa0\x80"}\n' >json/b.json
printf 'id,lang,text\n4,de,"\xf4\x90\x80\x80 too high"\n5,it,plain\n' >csv/c.csv

for fmt in json csv; do
  extra=""
  [ $fmt = csv ] && extra='header = true;'
  cat > pipeline.conf <<CONF
name = "utf8_$fmt";
runtime = { trigger = "available_now"; checkpoint = "ckpt_$fmt"; progress_log = "progress_$fmt.jsonl"; };
stages = (
  { name = "rows"; source = "file"; path = "$fmt"; format = "$fmt"; $extra schema = "id LONG, lang STRING, text STRING";
    max_files_per_trigger = 1; },
  { name = "out"; input = "rows"; sink = "console"; format = "jsonl"; },
  { name = "files"; input = "rows"; sink = "file"; path = "out_$fmt"; }
);
CONF
  "$sluice" run pipeline.conf >console_$fmt.txt 2>err.txt || fail "run ($fmt)"
  "$sluice" cat out_$fmt >cat_$fmt.txt 2>>err.txt || fail "cat ($fmt)"
  cat out_$fmt/part-*.json >parts_$fmt.txt
  cp err.txt err_$fmt.txt
done

python3 - <<'PY' || fail "the output"
import csv, io, json

def expected(raw_lines, fmt):
    rows = {}
    if fmt == "json":
        for line in raw_lines:
            # The input's JSON syntax is ASCII: latin-1 keeps each byte as is.
            r = json.loads(line.decode("latin-1"))
            rows[r["id"]] = {k: (v.encode("latin-1").decode("utf-8", "replace") if isinstance(v, str) else v)
                             for k, v in r.items()}
    else:
        text = b"".join(raw_lines).decode("latin-1")
        for r in csv.DictReader(io.StringIO(text)):
            rows[int(r["id"])] = {"id": int(r["id"]), "lang": r["lang"].encode("latin-1").decode("utf-8", "replace"),
                                  "text": r["text"].encode("latin-1").decode("utf-8", "replace")}
    return rows

def replacements(raw_lines):
    # Each U+FFFD in the repaired text that was not in the input is one replacement.
    return sum(l.decode("utf-8", "replace").count("\ufffd") - l.decode("utf-8", "ignore").count("\ufffd")
               for l in raw_lines)

def strict_rows(path, wrapped):
    out = {}
    for line in open(path, "rb").read().splitlines():
        r = json.loads(line.decode("utf-8"))  # strict: invalid UTF-8 raises
        if wrapped:
            r = r["row"]
        out[r["id"]] = r
    return out

for fmt, files in (("json", ["json/a.json", "json/b.json"]), ("csv", ["csv/c.csv"])):
    raw = [l for f in files for l in open(f, "rb").read().splitlines(keepends=True)]
    want = expected(raw, fmt)
    for path, wrapped in ((f"console_{fmt}.txt", True), (f"parts_{fmt}.txt", False), (f"cat_{fmt}.txt", False)):
        got = strict_rows(path, wrapped)
        assert got == want, (path, got, want)
    recs = [json.loads(l) for l in open(f"progress_{fmt}.jsonl")]
    counted = sum(r["sources"][0]["numInvalidUtf8Replaced"] for r in recs)
    assert counted == replacements(raw), (fmt, counted, replacements(raw))
    assert counted > 0
PY

grep -qF "invalid UTF-8 sequences in the input replaced with U+FFFD (progress counts them as numInvalidUtf8Replaced)" err_json.txt \
  || fail "no warning at the first replacement"
grep -qF "sluice: warning: 8 invalid UTF-8 sequences in the input were replaced with U+FFFD" err_json.txt \
  || fail "no summary of the replacements: $(cat err_json.txt)"
echo "ok invalid_utf8"
