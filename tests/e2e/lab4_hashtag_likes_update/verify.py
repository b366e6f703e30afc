"""The same in update mode: each batch prints only the hashtags it saw, with their running values."""
import sys

import labagg

sys.exit(0 if labagg.check("hashtag_likes", "update", sys.argv[1]) else 1)
