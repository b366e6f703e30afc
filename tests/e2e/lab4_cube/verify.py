"""cube(hashtag, lang): four groupings of every row, rolled-up keys null."""
import sys

import labagg

sys.exit(0 if labagg.check("cube", "complete", sys.argv[1]) else 1)
