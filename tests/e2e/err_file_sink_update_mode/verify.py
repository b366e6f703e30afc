"""Refused at load: the output directory was never created."""
import os
import sys

sys.exit(1 if os.path.exists("out") else 0)
