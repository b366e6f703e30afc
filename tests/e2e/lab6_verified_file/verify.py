"""The file sink's committed rows, worked out by hand from the input:
batch 0 (watermark none) counts the verified tweets at 07:55:41 and
07:55:47 in [40,50) twice, [45,55) and [35,45) once; the unverified tweet
at 07:55:49 is filtered out after the watermark stage, so it still moves
the watermark to 49 - 25 = 07:55:24. Batch 1 (07:56:20, verified) opens
[56:15,56:25) and [56:20,56:30) and closes nothing (end <= 07:55:24: none);
the watermark becomes 07:55:55. Batch 2 has no data: every window ending by
07:55:55 is written, once, in the order the windows were first seen."""
import json
import os
import subprocess
import sys


def ts(s):
    return "2021-05-03T07:%s.000Z" % s


want = [
    {"window": {"start": ts("55:40"), "end": ts("55:50")}, "count": 2},
    {"window": {"start": ts("55:45"), "end": ts("55:55")}, "count": 1},
    {"window": {"start": ts("55:35"), "end": ts("55:45")}, "count": 1},
]
got = subprocess.run([os.environ["SLUICE"], "cat", "out"], capture_output=True, text=True, check=True).stdout
rows = [json.loads(l) for l in got.splitlines() if l.strip()]
if rows != want:
    print("sluice cat out printed:\n" + got + "expected:\n" + "".join(json.dumps(r) + "\n" for r in want))
    sys.exit(1)
if open(sys.argv[1]).read():
    print("nothing should go to stdout")
    sys.exit(1)
print("ok: %d windows written once, by the no-data batch" % len(rows))
