"""The part files must be exactly what expected/ holds (Spark's CSV text),
with one manifest per batch listing them and nothing else in the directory."""
import json
import os
import sys

fail = False
for i in range(2):
    name = f"part-{i:05d}-00000.csv"
    got = open(f"out/{name}", "rb").read()
    want = open(f"expected/{name}", "rb").read()
    if got != want:
        print(f"out/{name} differs:\n{got.decode()}\nexpected:\n{want.decode()}", file=sys.stderr)
        fail = True
    manifest = json.load(open(f"out/_sluice_manifest/{i}"))
    if manifest != {"version": 1, "batch_id": i, "format": "csv", "header": True,
                    "files": [name], "rows": 3}:
        print(f"manifest {i}: {manifest}", file=sys.stderr)
        fail = True
if sorted(os.listdir("out")) != ["_sluice_manifest", "part-00000-00000.csv", "part-00001-00000.csv"]:
    print(f"out/ holds {sorted(os.listdir('out'))}", file=sys.stderr)
    fail = True
sys.exit(1 if fail else 0)
