"""Hands-on 6 on generated tweets: 10 s windows, 5 s watermark, append mode,
late tweets dropped once their window is out, against labwindow.py."""
import sys

import labwindow

sys.exit(0 if labwindow.check("window", "append", 10, 10, 5, sys.argv[1], "window_count") else 1)
