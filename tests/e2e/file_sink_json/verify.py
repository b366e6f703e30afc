"""Recompute the rows the file sink committed from the generated input, with
Python's json module and the schema, independently of sluice; compare them
with `sluice cat` (all batches, then each batch alone) and check the output
directory's manifests."""
import datetime
import glob
import json
import os
import subprocess
import sys

SCHEMA = json.load(open("tweet.json"))


def field(struct_type, name):
    return next(f["type"] for f in struct_type["fields"] if f["name"] == name)


def ts(v):
    d = datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def shape(v, t):
    """A JSON value read with Spark type t, as sluice renders it: structs in
    schema order with every field (absent ones null), timestamps with ms."""
    if v is None:
        return None
    if isinstance(t, dict) and t["type"] == "struct":
        return [(f["name"], shape(v.get(f["name"]), f["type"])) for f in t["fields"]]
    if isinstance(t, dict) and t["type"] == "array":
        return [shape(x, t["elementType"]) for x in v]
    if t == "timestamp":
        return ts(v)
    return v


data = field(SCHEMA, "data")
users = field(field(SCHEMA, "includes"), "users")
batches = []
for path in sorted(glob.glob("input/*.json")):
    rows = []
    for line in open(path, encoding="utf-8"):
        tw = json.loads(line)
        d = tw.get("data") or {}
        u = ((tw.get("includes") or {}).get("users") or [None])[0]
        rows.append([
            ("author", d.get("author_id")),
            ("lang", d.get("lang")),
            ("created_at", shape(d.get("created_at"), "timestamp")),
            ("text", d.get("text")),
            ("metrics", shape(d.get("public_metrics"), field(data, "public_metrics"))),
            ("hashtags", shape((d.get("entities") or {}).get("hashtags"),
                               field(field(data, "entities"), "hashtags"))),
            ("verified", shape(u, users["elementType"])[4][1] if u else None),
        ])
    batches.append(rows)


def parse(text):
    return [json.loads(l, object_pairs_hook=list) for l in text.splitlines()]


fail = False
got = parse(open(sys.argv[1], encoding="utf-8").read())
want = [r for b in batches for r in b]
if got != want:
    print(f"cat: {len(got)} rows, expected {len(want)}", file=sys.stderr)
    for g, w in zip(got, want):
        if g != w:
            print(f"  first difference:\n  got  {g}\n  want {w}", file=sys.stderr)
            break
    fail = True

for i, rows in enumerate(batches):
    out = subprocess.run([os.environ["SLUICE"], "cat", "out", "--batch", str(i)],
                         capture_output=True, text=True, check=True).stdout
    if parse(out) != rows:
        print(f"cat --batch {i} differs", file=sys.stderr)
        fail = True
    manifest = json.load(open(f"out/_sluice_manifest/{i}"))
    if manifest != {"version": 1, "batch_id": i, "format": "json",
                    "files": [f"part-{i:05d}-00000.json"], "rows": len(rows)}:
        print(f"manifest {i}: {manifest}", file=sys.stderr)
        fail = True

names = sorted(os.listdir("out"))
want_names = ["_sluice_manifest"] + [f"part-{i:05d}-00000.json" for i in range(3)] + \
    [".part-00003-00001.json.tmp", "part-00003-00000.json"]
if names != sorted(want_names):
    print(f"out/ holds {names}", file=sys.stderr)
    fail = True
if sorted(os.listdir("out/_sluice_manifest")) != ["0", "1", "2", "schema"]:
    print(f"out/_sluice_manifest holds {sorted(os.listdir('out/_sluice_manifest'))}", file=sys.stderr)
    fail = True
sys.exit(1 if fail else 0)
