"""State stays bounded: 30 s windows by hashtag with a 1-minute watermark
over twenty minutes of tweets. Each batch's debug line gives the groups and
bytes the state holds after eviction; they must level off at what the
open windows need (about three windows' worth of hashtags), not grow with
the stream, while many more (window, hashtag) rows come out over the run,
each once."""
import json
import re
import sys

pat = re.compile(r"stage 'hashtag_window': batch (\d+): (\d+) groups in state, (\d+) bytes")
states = [(int(m.group(2)), int(m.group(3))) for m in map(pat.search, open("actual.stderr")) if m]
rows = [json.loads(l)["row"] for l in open(sys.argv[1]) if l.strip()]
keys = [(r["window"]["start"], r["hashtag"]) for r in rows]
ok = True
if len(states) < 60:
    print("expected at least 60 batches, got %d" % len(states))
    ok = False
groups = [g for g, _ in states]
peak, peak_bytes = max(groups), max(b for _, b in states)
if len(keys) != len(set(keys)):
    print("a window was emitted twice")
    ok = False
if len(keys) < 6 * peak:
    print("%d rows emitted over the run, peak state %d: the state is not being evicted" % (len(keys), peak))
    ok = False
# No growth: the second half of the run holds no more than the first half's peak
# plus a margin for the hashtags' random spread.
half = len(groups) // 2
if max(groups[half:]) > 1.3 * max(groups[5:half]):
    print("state grows: peak %d in the second half, %d in the first" % (max(groups[half:]), max(groups[5:half])))
    ok = False
if max(b for _, b in states[half:]) > 2 * max(b for _, b in states[5:half]) + 65536:
    print("state memory grows: %s" % [b for _, b in states])
    ok = False
if ok:
    print("ok: %d batches, %d windows emitted once each, peak state %d groups / %d bytes" %
          (len(states), len(keys), peak, peak_bytes))
sys.exit(0 if ok else 1)
