"""Distinct hashtags counted exactly across four batches: the set grows as new tags arrive."""
import sys

import labagg

sys.exit(0 if labagg.check("distinct_hashtags", "complete", sys.argv[1]) else 1)
