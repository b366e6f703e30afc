"""Languages counted over batches of three files each: merged partial
states from several units give the same counts as one pass."""
import sys

import labagg

sys.exit(0 if labagg.check("lang_count", "complete", sys.argv[1], files_per_batch=3) else 1)
