"""Hands-on 6 by hashtag in update mode: 30 s windows, the watermark on the
stage after the explode. The generator's late tweets lag at most 60 s and
would never fall behind the config's 1-minute watermark, so the case runs
it with a 5 s delay to have drops. Each batch prints the (window, hashtag)
pairs it changed; closed ones are evicted without being printed again."""
import sys

import labwindow

sys.exit(0 if labwindow.check("hashtag", "update", 30, 30, 5, sys.argv[1], "hashtag_window") else 1)
