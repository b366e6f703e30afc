"""Hands-on 6, verified users' tweets in 10 s windows sliding every 5 s with
a 25 s watermark, to the file sink: the committed rows (sluice cat) are
exactly the windows labwindow.py closes, each once; the log's state rows
and drops match batch by batch. Unverified tweets move the watermark too:
it is declared on the source, before the filter."""
import json
import os
import subprocess
import sys

import labwindow

out = subprocess.run([os.environ["SLUICE"], "cat", "out"], capture_output=True, text=True, check=True).stdout
rows = [json.loads(l) for l in out.splitlines() if l.strip()]
sys.exit(0 if labwindow.check("verified", "append", 10, 5, 25, sys.argv[1], "verified_counts", union=rows) else 1)
