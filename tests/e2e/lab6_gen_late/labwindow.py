"""Independent recomputation of windowed counts with a watermark (hands-on
5 and 6), in plain Python, to check what sluice printed and kept.

Spark's rules, written out again from its documentation and sources rather
than from sluice's code:
  - a time t is in every window [s, s + duration) with s = k * slide
    (+ offset) and s <= t < s + duration; a null time is in none;
  - files are read in name order, one per micro-batch; each batch runs with
    the watermark left by the batch before (none at first);
  - in append and update modes a row whose window ends at or before that
    watermark is dropped (and counted); complete mode drops nothing;
  - complete prints every window, update the windows the batch changed,
    append the windows whose end is at or before the watermark, once; append
    and update then forget those windows;
  - after a batch, the watermark becomes max(itself, largest event time the
    watermark stage saw - delay), in whole milliseconds;
  - all files exist at the start (available_now), so new data always goes
    first; after the last file, a batch without data runs when the watermark
    moved (append and update only).
Output is compared per batch as sets of rows; the debug log gives the state
rows after each batch and the rows dropped in it, compared too.

Cases copy this file next to their verify.py in setup.sh."""
import glob
import json
import os
import re
import sys

US = 1000000


def parse_time(s):
    """ISO 8601 UTC as the generator writes it, to microseconds since 1970."""
    if not isinstance(s, str):
        return None
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z$", s)
    if not m:
        return None
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    frac = (m.group(7) or "0")[:6].ljust(6, "0")
    # days from civil (proleptic Gregorian), as in Howard Hinnant's algorithm
    y -= mo <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return ((days * 24 + h) * 60 + mi) * 60 * US + se * US + int(frac)


def iso(us):
    import datetime
    dt = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=us)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def obj(v):
    return v if isinstance(v, dict) else {}


def tweets():
    """Per file (= per batch), the tweets it holds; a broken line is {}."""
    files = sorted(f for f in glob.glob("input/*") if os.path.basename(f)[0] not in "._")
    for path in files:
        batch = []
        for line in open(path, encoding="utf-8"):
            if line.strip():
                try:
                    batch.append(obj(json.loads(line)))
                except ValueError:
                    batch.append({})
        yield batch


def created_at(t):
    return parse_time(obj(t.get("data")).get("created_at"))


def hashtags(t):
    tags = obj(obj(t.get("data")).get("entities")).get("hashtags")
    if not isinstance(tags, list):
        return []
    return [h.get("tag") if isinstance(h, dict) else None for h in tags]


def verified(t):
    users = obj(t.get("includes")).get("users")
    return isinstance(users, list) and users and isinstance(users[0], dict) and users[0].get("verified") is True


# query -> (key columns, rows of a tweet as (key values, time), times the
# watermark stage sees of a tweet)
QUERIES = {
    "window": ([], lambda t: [((), created_at(t))], lambda t: [created_at(t)]),
    "hashtag": (["hashtag"], lambda t: [((h,), created_at(t)) for h in hashtags(t)],
                lambda t: [created_at(t) for _ in hashtags(t)]),
    "verified": ([], lambda t: [((), created_at(t))] if verified(t) else [], lambda t: [created_at(t)]),
}


def windows(t, duration, slide, offset=0):
    if t is None:
        return []
    last = t - (t - offset) % slide  # Python's % floors, as Spark's start does
    out = []
    i = 0
    while i * slide < duration:
        s = last - i * slide
        if t < s + duration:
            out.append((s, s + duration))
        i += 1
    return out


def expected(query, mode, duration, slide, delay):
    """Per batch: (rows printed, state rows after it, rows dropped in it)."""
    keys, rows_of, times_of = QUERIES[query]
    state = {}
    wm = None
    batches = []
    data = list(tweets())
    i = 0
    moved = False
    while i < len(data) or (moved and mode != "complete"):
        ts = data[i] if i < len(data) else []  # past the files: a no-data batch
        i += 1
        touched, dropped, seen = set(), 0, []
        for t in ts:
            seen += [x for x in times_of(t) if x is not None]
            for key, time in rows_of(t):
                for w in windows(time, duration, slide):
                    if mode != "complete" and wm is not None and w[1] <= wm:
                        dropped += 1
                        continue
                    state[(w, key)] = state.get((w, key), 0) + 1
                    touched.add((w, key))
        if mode == "complete":
            out = list(state)
        elif mode == "update":
            out = list(touched)
        else:
            out = [g for g in state if wm is not None and g[0][1] <= wm]
        rows = [dict([("window", {"start": iso(g[0][0]), "end": iso(g[0][1])})] + list(zip(keys, g[1])) +
                     [("count", state[g])]) for g in out]
        if mode != "complete" and wm is not None:
            for g in [g for g in state if g[0][1] <= wm]:
                del state[g]
        batches.append((rows, len(state), dropped))
        moved = False
        if seen:
            cand = (max(seen) // 1000 - delay // 1000) * 1000
            if wm is None or cand > wm:
                wm, moved = cand, True
    return batches


def canon(row):
    return json.dumps(row, sort_keys=True)


def check(query, mode, duration_s, slide_s, delay_s, stdout_path, stage, union=None):
    """Compare sluice's rows (console jsonl in stdout_path, or, with
    union, every row a sink wrote, batches unknown) and its log."""
    want = expected(query, mode, int(duration_s * US), int(slide_s * US), int(delay_s * US))
    got = {}
    if union is None:
        for line in open(stdout_path, encoding="utf-8"):
            if line.strip():
                rec = json.loads(line)
                got.setdefault(rec["batch_id"], []).append(rec["row"])
    else:
        a, e = sorted(map(canon, union)), sorted(canon(r) for w in want for r in w[0])
        if a != e:
            print("rows written differ:\n  missing %s\n  unexpected %s" % (sorted(set(e) - set(a))[:3],
                                                                        sorted(set(a) - set(e))[:3]))
            return False
    logged = {}
    pat = re.compile(r"stage '%s': batch (\d+): (\d+) groups in state, \d+ bytes, (\d+) rows dropped" % stage)
    for line in open("actual.stderr", encoding="utf-8"):
        m = pat.search(line)
        if m:
            logged[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
    ok = True
    if sorted(logged) != list(range(len(want))):
        print("batches logged: %s, expected 0..%d" % (sorted(logged), len(want) - 1))
        ok = False
    for b, (rows, state_rows, dropped) in enumerate(want):
        a, e = sorted(map(canon, got.get(b, []))), sorted(map(canon, rows))
        if union is None and a != e:
            print("batch %d differs:\n  missing %s\n  unexpected %s" % (b, sorted(set(e) - set(a))[:3],
                                                                      sorted(set(a) - set(e))[:3]))
            ok = False
        if logged.get(b) != (state_rows, dropped):
            print("batch %d: logged (state rows, dropped) %s, expected %s" % (b, logged.get(b), (state_rows, dropped)))
            ok = False
    extra = sorted(set(got) - set(range(len(want))))
    if extra:
        print("rows printed in unexpected batches %s" % extra)
        ok = False
    total_dropped = sum(w[2] for w in want)
    if mode != "complete" and total_dropped == 0:
        print("the input has no late row to drop: the case tests less than it should")
        ok = False
    if ok:
        print("ok: %s (%s), %d batches, %d rows out, %d late rows dropped, peak state %d" %
              (query, mode, len(want), sum(len(w[0]) for w in want), total_dropped, max(w[1] for w in want)))
    return ok


if __name__ == "__main__":
    q, mode, dur, slide, delay, path, stage = sys.argv[1:8]
    sys.exit(0 if check(q, mode, float(dur), float(slide), float(delay), path, stage) else 1)
