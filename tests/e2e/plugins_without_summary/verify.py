# `sluice plugins` lists a plugin whose descriptor has no summary by name,
# with an empty summary, never "(null)" (printf of a NULL string).
import sys

out = open(sys.argv[1]).read()
lines = [l.rstrip() for l in out.splitlines()]
if "  nosummary" not in lines:
    sys.exit("no line '  nosummary' in:\n" + out)
if "(null)" in out:
    sys.exit("'(null)' printed:\n" + out)
