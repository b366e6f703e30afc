"""Languages counted across four batches, malformed lines making a null language, the whole table each batch."""
import sys

import labagg

sys.exit(0 if labagg.check("lang_count", "complete", sys.argv[1]) else 1)
