"""avg, min and max likes per hashtag across four batches."""
import sys

import labagg

sys.exit(0 if labagg.check("hashtag_likes", "complete", sys.argv[1]) else 1)
