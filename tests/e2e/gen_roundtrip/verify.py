"""Recompute the expected console rows from the input files with Python's
json module and the schema file, independently of sluice, and compare."""
import datetime
import glob
import json
import os
import sys

schema = json.load(open("tweet.json"))


def ts(v):
    if not isinstance(v, str):
        return None
    try:
        d = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    d = d.astimezone(datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def convert(t, v):
    if v is None:
        return None
    if isinstance(t, dict) and t["type"] == "struct":
        if not isinstance(v, dict):
            return None
        return {f["name"]: convert(f["type"], v.get(f["name"])) for f in t["fields"]}
    if isinstance(t, dict) and t["type"] == "array":
        if not isinstance(v, list):
            return None
        return [convert(t["elementType"], e) for e in v]
    if t == "string":
        return v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
    if t in ("long", "integer"):
        return v if isinstance(v, int) and not isinstance(v, bool) else None
    if t == "double":
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
    if t == "boolean":
        return v if isinstance(v, bool) else None
    if t == "timestamp":
        return ts(v)
    raise ValueError(t)


expected = []
files = sorted(f for f in glob.glob("input/*") if not os.path.basename(f)[0] in "._")
for i, path in enumerate(files):
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            obj = {}
        if not isinstance(obj, dict):
            obj = {}
        expected.append((i // 2, convert(schema, obj)))

actual = [json.loads(l) for l in open(sys.argv[1])]
assert len(actual) == len(expected), f"{len(actual)} rows, expected {len(expected)}"
for n, ((batch, row), got) in enumerate(zip(expected, actual)):
    want = {"batch_id": batch, "row": row}
    if got != want:
        sys.exit(f"row {n} differs:\n  expected {json.dumps(want)}\n  actual   {json.dumps(got)}")
    assert list(got["row"]) == [f["name"] for f in schema["fields"]], "column order"
print(f"verified {len(actual)} rows")
