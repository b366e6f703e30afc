"""Hands-on 5, 10 s windows sliding every 5 s, complete mode: every window
with its running count after each batch; late tweets still count."""
import sys

import labwindow

sys.exit(0 if labwindow.check("window", "complete", 10, 5, 0, sys.argv[1], "sliding_count") else 1)
